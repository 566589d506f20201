// Package templates holds the files launchgate writes and renders, embedded
// so that the binary needs nothing from disk.
package templates

import "embed"

// Launch is the launch kit that `launchgate init` scaffolds under launch/:
// one markdown document per requirement of the standard, at
// launch/<name>.md. Its guidance lives in HTML comments and <placeholders>,
// so a freshly scaffolded kit fails its document checks until it is written.
//
//go:embed launch/*.md
var Launch embed.FS

// Web holds the html/template files of the web pages (web/layout.tmpl
// and one file per page) and their stylesheet, web/style.css.
//
//go:embed web/*.tmpl web/style.css
var Web embed.FS
