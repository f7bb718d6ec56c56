package waf

import (
	"strings"
	"testing"
)

// TestAttack96Ruby are attack 96's Ruby finds, run on Ruby 3.1: a file
// read, a directory listed or the environment dumped inside an ERB tag
// (ERB.new("Hello #{params[:name]}").result) or a #{} interpolation
// (210233).
func TestAttack96Ruby(t *testing.T) {
	operatorTable(t, "210233", rubyFileRead,
		[]string{"<%= File.read('.env') %>", "<%= IO.read('.env') %>", "<%= File.readlines('.env') %>", "<%= IO.readlines('.env') %>",
			"<%= File.open('.env').read %>", "<%= File.binread('.env') %>", "<%= Dir.entries('.') %>", "#{File.read('.env')}",
			"#{IO.read('.env')}", "#{ENV.to_h}", "#{ENV.to_a}", "#{ENV.values}", "<%= ::File.read('config/master.key') %>",
			"<%= File::read('.env') %>", "<%= open('.env').read %>",
			"<%= Pathname('.env').read %>", "#{IO.foreach('.env').to_a}"},
		[]string{"<%= Dir['*'] %>", "<%= Dir.glob('**/*') %>", "<%= File . read '.env' %>"},
		[]string{"<%= @user.name %>", "<%= render 'form' %>", "#{name}", "#{ENV['HOME']}", "<%= link_to 'Home', root_path %>",
			"Use File.read to load a file", "#{user.open?}", "<% if @post.open %>", "<%= @file.read_at %>", "Hi #{first_name}!"})
}

// FuzzRubyFileRead: any value is read by 210233 without a panic, and a
// match needs a tag.
func FuzzRubyFileRead(f *testing.F) {
	for _, v := range []string{"<%= File.read('.env') %>", "#{ENV.to_h}", "<%", "#{", "<%= Dir[", "#{open 'a'}"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if rubyFileRead(v) && !strings.Contains(v, "<%") && !strings.Contains(v, "#{") {
			t.Fatalf("210233 matches %q, which holds no tag", v)
		}
	})
}

// TestCPUBoundAttack96 repeats the new readings' shapes to the body limit
// through a real Caddy.
func TestCPUBoundAttack96(t *testing.T) {
	repeatedJSONUnder(t, "<%", "#{", "<% File ", "#{ENV ", "<%= File.x ", "#{open ", "; nl ", "; a b c d ", ";nl <", "; x if=")
}

// TestAttack96Shell are attack 96's shell finds, each run under dash
// through PHP's system(): a reader neither the CRS nor 210151 names
// printing a secret's file (127.0.0.1;nl .env), or every file (nl *)
// (210232).
func TestAttack96Shell(t *testing.T) {
	operatorTable(t, "210232", shellReadSecret,
		[]string{"127.0.0.1;nl .env", "127.0.0.1;cut -b1- .env", "127.0.0.1;awk 1 .env", "127.0.0.1|awk 1 .env", "127.0.0.1;pr .env",
			"127.0.0.1;tr a a<.env", "127.0.0.1;dd if=.env", "127.0.0.1;envsubst<.env", "127.0.0.1;tsort .env", "127.0.0.1 && awk 1 .env",
			"127.0.0.1; nl .env", "127.0.0.1\nnl .env", "127.0.0.1;tar c .env", "127.0.0.1;rev .env", "127.0.0.1;od -c .env",
			"127.0.0.1;zip - .env", "127.0.0.1;nl *", "127.0.0.1;nl db.sqlite3", "127.0.0.1;pr /run/secrets/db_password",
			"127.0.0.1;nl id_rsa", "127.0.0.1;nl '.env'", "127.0.0.1;X=1 nl .env", "127.0.0.1;nl 0<.env",
			"127.0.0.1;md5sum .env", "127.0.0.1;nl ./.env"},
		[]string{"127.0.0.1;/usr/bin/nl .env"},
		[]string{"x; copy .env.example to .env", "Q&A; put it in .env", "Steps; the .env file", "Run `nl .env` to see it",
			"steps:\n  - run: cp .env.example .env", "a; b * c", "x = 5; y * 2", "Docs; see .env.example", "x; nl notes.txt",
			"x; awk 1 file.txt", "Tip: ls; nl README.md"})
}

// FuzzShellReadSecret: any value is read by 210232 without a panic, and a
// match needs a separator.
func FuzzShellReadSecret(f *testing.F) {
	for _, v := range []string{"127.0.0.1;nl .env", "x;dd if=.env", "a\nnl *", "x;tr a a<.env", "x;nl '.env"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if shellReadSecret(v) && !strings.ContainsAny(v, ";|&`\n$") {
			t.Fatalf("210232 matches %q, which holds no separator", v)
		}
	})
}
