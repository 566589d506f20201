package inspect

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"strconv"
	"strings"
)

// This file holds how the check recognises a Go load test from its syntax
// tree: load generation, entry points, skips and build constraints.

// goLoadFunc is a Test or Benchmark function of a Go load test.
type goLoadFunc struct {
	name       string
	line       int
	bench      bool
	skipsShort bool     // it calls testing.Short()
	env        []string // variables it reads when it can skip itself
}

// goLoadLibraries are import paths (and their subpackages) of Go load
// generation libraries: importing one is evidence enough.
var goLoadLibraries = []string{
	"github.com/tsenart/vegeta", "github.com/myzhan/boomer", "github.com/bojand/ghz",
	"fortio.org/fortio", "github.com/rakyll/hey",
}

// findGoLoadTests analyses the candidate Go files of one directory. The
// evidence of load generation may sit in a helper file of the package, so
// it is pooled per directory.
func findGoLoadTests(repo *Repo, tool *loadTool, files []string) (found []*loadTestFound, unconfirmed []string, problems []Finding) {
	type goFile struct {
		name string
		fset *token.FileSet
		f    *ast.File
	}
	var parsed []goFile
	evidence := false
	for _, name := range files {
		data, err := repo.ReadFile(name)
		if err != nil {
			problems = append(problems, Finding{Path: name, Message: fmt.Sprintf("cannot tell whether this is a Go load test: %v", err)})
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, data, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			line := 0
			var list scanner.ErrorList
			if errors.As(err, &list) && len(list) > 0 {
				line = list[0].Pos.Line
			}
			problems = append(problems, Finding{Path: name, Line: line, Message: fmt.Sprintf("cannot tell whether this is a Go load test: it does not parse: %v", err)})
			continue
		}
		evidence = evidence || goGeneratesLoad(f)
		parsed = append(parsed, goFile{name, fset, f})
	}
	for _, p := range parsed {
		if !evidence {
			unconfirmed = append(unconfirmed, fmt.Sprintf("%s (%s)", p.name, tool.lacks))
			continue
		}
		lt := &loadTestFound{tool: tool, path: p.name, constraint: goBuildConstraint(p.f)}
		if strings.HasSuffix(p.name, "_test.go") {
			lt.funcs = goTestFuncs(p.fset, p.f)
			if len(lt.funcs) > 0 {
				lt.line = lt.funcs[0].line
			}
		} else if line := goMainLine(p.fset, p.f); line > 0 {
			lt.program, lt.line = true, line
		}
		if lt.program || len(lt.funcs) > 0 {
			found = append(found, lt)
		}
	}
	return found, unconfirmed, problems
}

// goImportName is the name a file refers to an import by, or "".
func goImportName(f *ast.File, importPath string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return path.Base(importPath)
		}
	}
	return ""
}

// goGeneratesLoad reports whether a file imports a load generation library
// or has a function that sends HTTP requests from a loop and runs
// concurrently.
func goGeneratesLoad(f *ast.File) bool {
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		for _, lib := range goLoadLibraries {
			if p == lib || strings.HasPrefix(p, lib+"/") {
				return true
			}
		}
	}
	httpName := goImportName(f, "net/http")
	if httpName == "" {
		return false
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		concurrent, loopSends := false, false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				concurrent = true
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "RunParallel" || sel.Sel.Name == "Go") {
					concurrent = true
				}
			case *ast.ForStmt:
				loopSends = loopSends || goSendsHTTP(n.Body, httpName)
			case *ast.RangeStmt:
				loopSends = loopSends || goSendsHTTP(n.Body, httpName)
			}
			return true
		})
		if concurrent && loopSends {
			return true
		}
	}
	return false
}

// goSendsHTTP reports whether n sends an HTTP request: a net/http call
// (http.Get, http.NewRequest...) or a client's Do, Post, PostForm, Head,
// or Get (only on something named like a client: Header.Get is no request).
func goSendsHTTP(n ast.Node, httpName string) bool {
	sends := false
	ast.Inspect(n, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return !sends
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		recv := ""
		switch x := sel.X.(type) {
		case *ast.Ident:
			recv = x.Name
		case *ast.SelectorExpr:
			recv = x.Sel.Name
		}
		switch sel.Sel.Name {
		case "NewRequest", "NewRequestWithContext":
			sends = sends || recv == httpName
		case "Do", "Post", "PostForm", "Head":
			sends = true
		case "Get":
			sends = sends || recv == httpName || strings.Contains(strings.ToLower(recv), "client")
		}
		return !sends
	})
	return sends
}

// goTestFuncs lists a test file's Test and Benchmark functions with what
// decides whether go test runs them.
func goTestFuncs(fset *token.FileSet, f *ast.File) []goLoadFunc {
	testingName, osName := goImportName(f, "testing"), goImportName(f, "os")
	var out []goLoadFunc
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Body == nil || fn.Name.Name == "TestMain" {
			continue
		}
		lf := goLoadFunc{name: fn.Name.Name, line: fset.Position(fn.Pos()).Line}
		switch {
		case goTestName(lf.name, "Test"):
		case goTestName(lf.name, "Benchmark"):
			lf.bench = true
		default:
			continue
		}
		skips := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, _ := sel.X.(*ast.Ident)
			switch name := sel.Sel.Name; {
			case name == "Short" && x != nil && x.Name == testingName:
				lf.skipsShort = true
			case name == "Skip" || name == "Skipf" || name == "SkipNow":
				skips = true
			case (name == "Getenv" || name == "LookupEnv") && x != nil && x.Name == osName && len(call.Args) == 1:
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						lf.env = append(lf.env, v)
					}
				}
			}
			return true
		})
		if !skips {
			lf.env = nil
		}
		out = append(out, lf)
	}
	return out
}

// goTestName reports whether name is a test of the kind prefix, by go
// test's rule: the prefix, then nothing or a non-lowercase letter.
func goTestName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && (rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z'))
}

// goMainLine is the line of func main in a package main, or 0.
func goMainLine(fset *token.FileSet, f *ast.File) int {
	if f.Name.Name != "main" {
		return 0
	}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
			return fset.Position(fn.Pos()).Line
		}
	}
	return 0
}

// goBuildConstraint is the file's //go:build (or // +build) constraint.
func goBuildConstraint(f *ast.File) constraint.Expr {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				if x, err := constraint.Parse(c.Text); err == nil {
					return x
				}
			}
		}
	}
	return nil
}
