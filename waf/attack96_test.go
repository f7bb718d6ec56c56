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
			"<%= File.open('.env').read %>", "<%= File.binread('.env') %>", "#{File.read('.env')}",
			"#{IO.read('.env')}", "#{ENV.to_h}", "#{ENV.to_a}", "#{ENV.values}", "<%= ::File.read('config/master.key') %>",
			"<%= File::read('.env') %>", "<%= open('.env').read %>",
			"<%= Pathname('.env').read %>", "#{IO.foreach('.env').to_a}",
			// review 96
			"<%= Kernel.open('.env').read %>", "<%= File.method(:read).call('.env') %>",
			"<%= Pathname.new('.env').read %>", "<%=" + strings.Repeat(" ", 260) + "File.read('.env') %>",
			"#{{}; File.read('.env')}", "#{'}'; File.read('.env')}", "#{Hash[ENV]}", "#{[*ENV]}", "#{ENV.take(999)}",
			"<%= File.send(:read, '.env') %>"},
		[]string{"<%= File . read '.env' %>", "<%= File&.read('.env') %>", "<%= Object.const_get(:File).read('.env') %>", "#{ENV&.to_h}"},
		[]string{"<%= @user.name %>", "<%= render 'form' %>", "#{name}", "#{ENV['HOME']}", "<%= link_to 'Home', root_path %>",
			"Use File.read to load a file", "#{user.open?}", "<% if @post.open %>", "<%= @file.read_at %>", "Hi #{first_name}!",
			// review 96
			`<%= File.read(Rails.root.join("app/assets/images/logo.svg")).html_safe %>`, `puts "Loaded #{File.readlines(path).size} lines"`,
			`<%= open "x" %>`, "#{ open 'docs' }"})
	// review 96's: 210233 passes them (the full waf refuses them through
	// the CRS's 941390, 932125 and 933160 on the arguments it derives)
	for _, v := range []string{`puts "Working in #{Dir.pwd}"`, `path = "#{Dir.home}/.config/app.yml"`,
		`<%= Dir.glob("app/views/**/*.erb").count %>`, "#{ENV.fetch('HOME')}", `"#{ENV.keys.first}"`} {
		if rubyFileRead(v) {
			t.Errorf("210233 matches %q", v)
		}
	}
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
			"127.0.0.1;md5sum .env", "127.0.0.1;nl ./.env",
			// review 96
			"127.0.0.1 \nnl .env", "127.0.0.1;nl -ba -ba -ba -ba -ba -ba .env", "127.0.0.1;nl" + strings.Repeat(" ", 130) + ".env",
			"127.0.0.1;nl .e'n'v", `127.0.0.1;nl .\env`, "127.0.0.1;nl .en?", "127.0.0.1;nl .[e]nv", "127.0.0.1;nl .e*", "127.0.0.1;nl .*",
			"127.0.0.1;nl <>.env", "127.0.0.1;a=nl;$a .env"},
		[]string{"127.0.0.1;/usr/bin/nl .env", "127.0.0.1;nl * /dev/null", "127.0.0.1;$(echo nl) .env"},
		[]string{"x; copy .env.example to .env", "Q&A; put it in .env", "Steps; the .env file", "Run `nl .env` to see it",
			"steps:\n  - run: cp .env.example .env", "a; b * c", "x = 5; y * 2", "Docs; see .env.example", "x; nl notes.txt",
			"x; awk 1 file.txt", "Tip: ls; nl README.md",
			// review 96
			"Windows; vim .env", "cd repo && git add *", "import os; from math import *", "| Email | required * |",
			"Rating 5/5; loved it *"})
	// review 96's how-tos: 210232 passes them (the full waf refuses some
	// through the CRS's 932125 and 932235 on the arguments it derives)
	for _, v := range []string{"cd app && cp .env.example .env", "git clone https://github.com/x/y && cd y && cp .env.example .env",
		"cd myapp && nano .env", "echo .env >> .gitignore && git rm --cached .env", "docker compose up -d && docker run --env-file .env image",
		"cd ~/.ssh && chmod 600 id_rsa", "ssh-keygen -t ed25519; ssh-add id_ed25519", "python manage.py migrate && rm db.sqlite3",
		"script:\n  - cd app && cp .env.example .env", "cd dist && zip -r ../app.zip *", "set -a; source .env; set +a"} {
		if shellReadSecret(v) || shellRunFile(v) {
			t.Errorf("210232 or 210230 matches %q", v)
		}
	}
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
