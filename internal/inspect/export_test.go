package inspect

// LayoutFamilyFiles gives the external tests the repositories of
// layoutFamilies, by family name, with production at prod replicas.
func LayoutFamilyFiles(prod int) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, fam := range layoutFamilies {
		out[fam.name] = fam.files(prod)
	}
	return out
}
