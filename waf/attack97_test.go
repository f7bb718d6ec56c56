package waf

import (
	"strings"
	"testing"
)

// TestAttack97 are attack 97's finds, run for real: TeX that reads a
// secret's file, writes a file or runs a command in a value pdflatex
// typesets (TeX Live 2022: \verbatiminput{.env} printed .env in the PDF;
// \immediate\write18{id > x.tex} ran id under -shell-escape) (210234),
// and EJS's include of a secret's file (ejs 3: <%- include('.env.production')
// %>) and other engines' includes (210231).
func TestAttack97(t *testing.T) {
	operatorTable(t, "210234", latexFile,
		[]string{`\verbatiminput{.env}`, "{\\catcode`\\_=12\\catcode`\\#=12\\input{.env}}", `\newread\f\openin\f=.env\read\f to\l\l`,
			`\input .env`, `\lstinputlisting{.env}`, `\include{.env}`, `\immediate\write18{id > idout.tex}`, `\write18{env}`,
			`\immediate\write 18{cat .env > out.tex}\input{out}`, `\immediate\openout5=pwned.txt\immediate\write5{x}\immediate\closeout5`,
			`\lstinputlisting[language=bash]{/run/secrets/db_password}`,
			// review 97
			`\immediate\write"12{x}`, `\immediate\write'22{x}`, `\immediate\write +18{x}`, `\immediate\write 018{x}`,
			"\\immediate\\write`\\^^R{x}", `\immediate\write\numexpr9+9\relax{x}`, `\immediate\wr^^69te18{x}`,
			`\immediate\csname write\endcsname18{x}`, `\let\w\write\immediate\w18{x}`, `\input|"x"`,
			`\input{".env"}`, `\input ".env"`, `\def\f{.env}\input\f`, "\\catcode`\\|=0 |input{.env}", `\makeatletter\@@input .env`,
			`\ExplSyntaxOn\file_input:n{.env}`, `\openin5=.env\read5 to\l \l`, `\openin 5 = .env`,
			`\input{` + strings.Repeat("./", 130) + `.env}`, `\input` + strings.Repeat(" ", 300) + `{.env}`,
			`\edef\x{\pdffiledump length 40{.env}}\x`, `\pdfcompresslevel=0\immediate\pdfobj file{.env}`,
			`\begin{filecontents*}{x.tex}x\end{filecontents*}`, `\BVerbatimInput{.env}`},
		[]string{`\input{../../app/.env}`, `\inputminted{bash}{.env}`},
		[]string{`\input{chapter1}`, `\include{intro}`, `\lstinputlisting{src/main.c}`, `\frac{1}{2} + \sqrt{x}`,
			`Use \input to include a file`, `$\int_0^1 x\,dx$`, `\write to the log`, `\openin is a TeX primitive`,
			// review 97
			`\input{../common/preamble}`, `\include{~/thesis/ch1}`, `\IfFileExists{/usr/share/fonts/x.ttf}{a}{b}`,
			`\immediate\write\@auxout{x}`, `\write16{hello}`})
	operatorTable(t, "210231", templateInclude,
		[]string{"<%- include('.env.production') %>", "<%- include('./.env.production') %>", `<%= include(".env.local") %>`,
			`#include(".env")`, `#parse(".env")`, `<#include ".env">`, "{include file='.env'}", `<%include file=".env"/>`,
			"@include('.env')", "<%- include('/run/secrets/db_password') %>",
			// review 97
			"<%-\ninclude('.env.production') %>", "<%-     include('.env.production') %>", "<%- (include)('.env.production') %>",
			"<%- [include][0]('.env.production') %>", "<%- x=include('.env.production') %>", "<%- 1&&include('.env.production') %>",
			"<%- include('x',{}) + include('.env.production') %>", `<%- include("x")+include('.env.production') %>`,
			"<%- include /*)*/ ('.env.production') %>", "<% var f='.env.production' %><%- include(f) %>", "<%- include('.env' + '.production') %>"},
		nil,
		[]string{"<%- include('partials/header') %>", `#include("footer.vm")`, `<#include "header.ftl">`, "{include file='header.tpl'}",
			"@include('layouts.app')", "#include <stdio.h>", "C's #include \"config.h\"",
			// review 97
			"<%- include('header', {title: '.env'}) %>"})
	// what the CRS alone refuses, the operator passes too
	if templateInclude("Use include('.env') in PHP? No.") {
		t.Errorf("210231 matches PHP prose")
	}
}

// FuzzLaTeXFile: any value is read by 210234 without a panic, and a
// match needs a backslash.
func FuzzLaTeXFile(f *testing.F) {
	for _, v := range []string{`\verbatiminput{.env}`, `\write18{id}`, `\openin\f=.env`, `\input`, `\input{`, `\input[`} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if latexFile(v) && !strings.Contains(v, "\\") {
			t.Fatalf("210234 matches %q, which holds no backslash", v)
		}
	})
}

// TestCPUBoundAttack97 repeats the new readings' shapes to the body limit
// through a real Caddy.
func TestCPUBoundAttack97(t *testing.T) {
	repeatedJSONUnder(t, `\input`, `\input{`, `\input[`, `\openin\f=`, "\\", `\write`, "<%- include('", "#include(", "@include ", "include", "<%include'a'+", "<% include ", `\write 0`, `\input{`+"{", ` \input `)
}
