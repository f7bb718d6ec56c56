package waf

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// phpCallbackAttacks are attack 51's PHP and Twig spellings (each ran id
// on PHP 8.2 or Twig 3.5) and their kin: a command function named as a
// string where PHP calls it. The CRS alone passes each.
var phpCallbackAttacks = []string{
	`(new ReflectionFunction("system"))->invoke("id");`, `(new ReflectionFunction("sys"."tem"))->invoke("id");`,
	`(new ReflectionFunction("passthru"))->invokeArgs(["id"]);`, `$a=["id"];array_walk($a,"system");`,
	`$a=["id"];array_walk($a,"sys"."tem");`, `$a=["id"];array_walk($a,"passthru");`, `$a=["id"];array_walk_recursive($a,"system");`,
	`$a=["id"];array_walk($a, '\system');`, `$a=["id"];ARRAY_WALK($a,"SYSTEM");`, `$a=["id"];array_walk($a,"\x73ystem");`,
	`$a=["id"];array_walk($a,"\163ystem");`, `$a=["id"];array_walk($a,"\u{73}ystem");`,
	"{{{'id':1}|keys|map('system')|join}}", "{{ {'id':1}|keys|map('system') }}", "{{ {'id':1}|keys|map('passthru')|first }}",
	"{{ {'id':1}|keys|filter('sys'~'tem') }}", "{{ ['id']|map(\"passthru\") }}", "{{ {a:'id',b:'x'}|sort('system') }}",
	// attack 52's: the name held in a variable, a constant or a hash,
	// given by a named argument, after a comment, a cast, @, a ternary,
	// ?? or brackets, interpolated, built by Twig's filters
	`(new ReflectionClass("ReflectionFunction"))->newInstance("system")->invoke("id");`,
	`(new ReflectionClass("ReflectionFunction"))->newInstanceArgs(["system"])->invoke("id");`,
	`$a=["id"];array_walk(array:$a,callback:"passthru");`, `$a=["id"];array_walk($a,callback:"passthru");`,
	`$a=["id"];array_walk($a,/**/"passthru");`, `$a=["id"];array_walk($a,("passthru"));`, `$a=["id"];array_walk($a,["passthru"][0]);`,
	`$a=["id"];array_walk($a,@"passthru");`, `$a=["id"];array_walk($a,(string)"passthru");`, `$a=["id"];array_walk($a,true?"passthru":1);`,
	`$a=["id"];array_walk($a,null??"passthru");`, `$a=["id"];array_walk($a,"pa{$z}ssthru");`, `$f="passthru";$a=["id"];array_walk($a,$f);`,
	`$f="pass"."thru";$a=["id"];array_walk($a,$f);`, `const S="passthru";$a=["id"];array_walk($a,S);`,
	`define("S","pass"."thru");$a=["id"];array_walk($a,S);`, `class A{const F="passthru";}$a=["id"];array_walk($a,A::F);`,
	"{% set f = 'system' %}{{ {'id':1}|keys|map(f) }}", "{% for f in ['system'] %}{{ {'id':1}|keys|map(f) }}{% endfor %}",
	"{% with {f:'system'} %}{{ {'id':1}|keys|map(f) }}{% endwith %}", "{{ {'id':1}|keys|map(arrow='system') }}",
	"{{ {'id':1}|keys|filter(arrow='system') }}", "{{ {'id':1}|keys|map(('system')) }}", "{{ {'id':1}|keys|map(['system']|first) }}",
	"{{ {'id':1}|keys|map('metsys'|reverse) }}", "{{ {'id':1}|keys|map('SYSTEM'|lower) }}", "{{ {'id':1}|keys|map('system'|capitalize) }}",
	"{{ {'id':1}|keys|map('%stem'|format('sys')) }}", "{{ {'id':1}|keys|map('xsystem'|slice(1)) }}", "{{ {'id':1}|keys|map(' system '|trim) }}",
	"{{ {'id':1}|keys|map('system'|default('x')) }}", "{{ {'id':1}|keys|map('system'|raw) }}", "{{ {'id':1}|keys|map('system'|e) }}",
	"{{ {'id':1}|keys|map(\"sys#{''}tem\") }}", "{{ {'id':1}|keys|map({'a':'system'}.a) }}", "{{ {'id':1}|keys|map({'a':'system'}['a']) }}",
	"{{ {'id':1}|keys|map(true ? 'system' : 'x') }}", "{{ {'id':1}|keys|map(null ?? 'system') }}", "{{ {'id':1}|keys|map(('sys')~('tem')) }}",
	"{{ {'id':1}|keys|map('sys' ~ ('tem')) }}", "{{ {'id':1}|keys|map(['sys','tem']|join('')) }}",
	"{{ {'id':1}|keys|map(_charset|slice(0,0)~'system') }}",
	// attack 53's: a name built by a call, a hash's key read back,
	// single characters joined; Twig's filters given anything but an
	// arrow function or a Jinja filter's name
	`$a=['id'];array_walk($a,str_pad('sys',6,'tem'));`, `$a=['id'];array_walk($a,str_pad('sy',6,'stem'));`,
	`$a=['id'];array_walk($a,str_pad('pass',8,'thru'));`, `$a=['id'];array_walk($a,join('',['s','y','s','t','e','m']));`,
	`$a=['id'];array_walk($a,join(['s','y','s','t','e','m']));`, `$a=['id'];array_walk($a,implode('',['sy','st','em']));`,
	`$a=['id'];array_walk($a,array_keys(['system'=>1])[0]);`, `$a=['id'];array_walk($a,array_keys(['passthru'=>1])[0]);`,
	`$a=['id'];array_walk($a,array_key_first(['system'=>1]));`, `$a=['id'];array_walk($a,array_search(1,['system'=>1]));`,
	`$a=['id'];array_walk($a,str_repeat('s',1).'ystem');`, `$a=['id'];array_walk($a,'sy'.str_repeat('s',1).'tem');`,
	`$a=['id'];array_walk_recursive($a,join('',['s','y','s','t','e','m']));`,
	`(new ReflectionFunction(join('',['s','y','s','t','e','m'])))->invoke('id');`, `(new ReflectionFunction(str_pad('sys',6,'tem')))->invoke('id');`,
	`(new ReflectionFunction(array_key_first(['system'=>1])))->invoke('id');`,
	"{{ ['id']|map('%c%c%c%c%c%c'|format(115,121,115,116,101,109)) }}", "{{ ['id']|map('%cystem'|format(115)) }}",
	"{{ ['id']|map('sys<i>tem'|striptags) }}", "{{ ['id']|map('xxxsystem'|slice(3)) }}", "{{ ['id']|map('metsysxxx'|reverse|slice(3)) }}",
	"{% set f %}system{% endset %}{{ ['id']|map(f|trim) }}", "{% set f %}system{% endset %}{{ ['id']|map(f~'') }}",
	"{% set f %}sys{{'tem'}}{% endset %}{{ ['id']|map(f~'') }}", "{{ ['id']|map('sys'|default('x')~'tem') }}",
	"{{ ['id']|map(['s','y','s','t','e','m']|join('')) }}", "{{ ['id']|map({'s':'ystem'}|keys|first~'ystem') }}",
	// attack 54's: heredocs and nowdocs, a character of a literal, a line
	// comment before the name
	"$a=['id'];array_walk($a,<<<X\nsystem\nX);", "$a=['id'];array_walk($a,<<<'X'\nsystem\nX);", "$a=['id'];array_walk($a,<<<X\n  system\n  X);",
	"$a=['id'];$f=<<<X\nsystem\nX;array_walk($a,$f);", "$a=['id'];array_walk($a,<<<X\nsy{$z}stem\nX);", "$a=['id'];array_walk($a,<<<X\nsy\\x73tem\nX);",
	"$a=['id'];array_walk($a,<<<\"X\"\nsys\\u{74}em\nX);", "$a=['id'];array_walk($a,\"sys\ntem\"[0].'ystem');", "$a=['id'];array_walk($a,'ss'[0].'ystem');",
	"$a=['id'];array_walk($a,'s#ystem'[0].'ystem');", "$a=['id'];array_walk($a,#\n'system');", "$a=['id'];array_walk($a,//x\n'system');",
	// attack 55's: a name interpolated or joined from variables that
	// hold its pieces
	"$a=['id'];$s='sys';array_walk($a,<<<X\n{$s}tem\nX);", "$a=['id'];$s='pass';array_walk($a,<<<X\n{$s}thru\nX);",
	"$a=['id'];$s=['sys'];array_walk($a,<<<X\n{$s[0]}tem\nX);", "$a=['id'];$s='sys';array_walk($a,\"{$s}tem\");",
	"$a=['id'];$s='sy';$t='stem';array_walk($a,\"$s$t\");", "$a=['id'];$s='sy';$t='stem';array_walk($a,$s.$t);",
	// names built across statements (attack 55's open item): joined
	// from, or interpolating, variables assigned before
	"$a=['id'];$s='sys';$f=$s.'tem';array_walk($a,$f);", "$a=['id'];$s='sys';$f=\"{$s}tem\";array_walk($a,$f);",
	"$a=['id'];$s='sys';$f=\"$s\".\"tem\";array_walk($a,$f);",
	"$a=['id'];$f='sys';$f.='tem';array_walk($a,$f);", "$a=['id'];$f = 'pa';$g = $f . 'ss'; $h = $g . \"thru\"; array_walk($a, $h);",
	// attack 56's (which the fold above had closed the hour before)
	`$p='sys';$q='tem';$f=$p.$q;$x=['id'];array_walk($x,$f);`, `$p='sys';$q='tem';$f="{$p}{$q}";$x=['id'];array_walk($x,$f);`,
	`$p='sys';$q='tem';$f=$p;$f.=$q;$x=['id'];array_walk($x,$f);`, `$p='Sys';$q='TEM';$f=$p.$q;$x=['id'];array_walk($x,$f);`,
	`$p="\x73ys";$q='tem';$f=$p.$q;$x=['id'];array_walk($x,$f);`, `$p='sys';$q='tem';$f=$p.$q;$x=['id'];array_walk($x,...[$f]);`,
	`$p='sys';$q='tem';$f=$p.$q;forward_static_call_array($f,['id']);`,
	// attack 57's: a string offset written, a chained assignment, a
	// reference, ?:, a nested .=, a variable variable; and their kin, a
	// callable set from the request or by extract
	`$a=['id'];$f='sysxem';$f[3]='t';array_walk($a,$f);`, `$a=['id'];$f=$g='sys';$f.='tem';array_walk($a,$f);`,
	`$a=['id'];$f='sys';$g=&$f;$g.='tem';array_walk($a,$f);`, `$a=['id'];$f='sys';$f=$f.'tem'?:1;array_walk($a,$f);`,
	`$a=['id'];$f='sys';$f=$f.='tem';array_walk($a,$f);`, `$a=['id'];$x='v';$$x='sys';$f="{$v}tem";array_walk($a,$f);`,
	`$a=['id'];$p='sys';$n='f';$$n=$p.'tem';array_walk($a,$$n);`,
}

// phpCallbackAttacksCRS are the same shape with functions the CRS alone
// refuses too (its 933 rules name them); rule 210191 reads them all the
// same.
var phpCallbackAttacksCRS = []string{`Closure::fromCallable('system')('id');`, `$a=["id"];uasort($a,"passthru");`,
	`register_tick_function("system","id");`, `preg_replace_callback('/.+/', 'passthru', 'id');`, `array_filter(["id"], 'sys' . 'tem');`,
	`call_user_func_array("shell_exec", ["id"]);`, `$a=['id'];$f=$_GET['c'];array_walk($a,$f);`, `$a=['id'];extract($_GET);array_walk($a,$f);`, "$a=['id'];$s='sys';$f=\"${s}tem\";array_walk($a,$f);"}

// phpCallbackBenign are near-misses the CRS alone passes: a callback
// that runs nothing, Twig's filters with arrow functions or attribute
// names, prose.
var phpCallbackBenign = []string{
	`array_walk($items, 'format_item');`, `{{ items|map(i => i.name)|join(', ') }}`, `{{ users|filter(u => u.active) }}`,
	`see array_walk() and "system" in the manual`, `new ReflectionFunction($name)`,
	`the map('system') step`, "{{ names|map('upper') }}", "{{ users|sort(attribute='age') }}",
	"{{ rows|filter((r) => r.active) }}", "{{ xs|reduce((carry, v) => carry + v, 0) }}", "{{ hostvars[item]['ansible_default_ipv4']['address'] }}",
	// attack 54's false positives: Ansible's filters mapped by name with
	// arguments, prose, Jinja's default of a setting
	"{{ groups['web'] | map('extract', hostvars, 'ansible_host') | first }}", "{{ packages | map('regex_replace', '^', 'python3-') | first }}",
	"{{ hosts | map('regex_search', 'web[0-9]+') | select | first }}", "In Twig use |map(p => p.name) rather than |map('name')",
	"{{ theme | default('system') }}", "{{ mode | default('exec') }}",
	// attack 55's false positives: arrow functions beside a literal that
	// names a command
	"{{ users|filter(u => u.role == 'system') }}", "{{ logs|filter(l => l.level != 'system')|length }} user entries",
	"{{ menu|filter(i => i.type in ['system', 'admin']) }}", "{{ items|sort((a, b) => a.name <=> b.name) }}{% set mode = 'exec' %}",
	"{% set kind = 'system' %}{{ messages|sort((a, b) => a.date <=> b.date)|first.text }}",
	// callables the value does not build, or builds as a closure or an
	// array
	`array_walk($rows, $callback);`, `$f = [$this, 'render']; array_walk($items, $f);`,
}

// phpCallbackCode are near-misses in PHP code that the CRS alone refuses
// (its 933 rules read most PHP code): read by the operator only.
var phpCallbackCode = []string{`usort($a, 'strcmp');`, `array_map("system" ...) is a bad idea`, `$m['system'] = array_map('trim', $x);`, `array_map('trim', $lines);`, `call_user_func('my_system_check');`,
	`{{ list|sort }}`, `array_filter($rows, fn($r) => $r['system'] === 'prod')`,
	`set_error_handler('log_error');`, `$prefix='my_';$cb=$prefix.'handler';call_user_func($cb);`,
	`$s='sys';$f="\$stem";array_walk($a,$f);`, `$s='sys';$f=$s.'tem';`,
	`$f = function($x) { return $x * 2; }; array_walk($a, $f);`, `$f = fn($x) => $x + 1; array_walk($a, $f);`,
	`$f = static fn($x) => $x; usort($a, $f);`, `$cmp = new Comparator(); usort($a, $cmp);`}

// nodeChildProcessAttacks are attack 51's Node spellings (each ran id as
// eval(input) on Node 20) and their kin, which the CRS alone passes.
var nodeChildProcessAttacks = []string{
	"module.constructor._load('child_'+'process').execSync('id').toString()", "require(['child','process'].join('_'))['exec'+'Sync']('id')+''",
	"require('node:child_process').spawnSync('id').stdout+''", "require(Buffer.from('Y2hpbGRfcHJvY2Vzcw==','base64')+'').execSync('id')+''",
	"require(Buffer.from('6368696c645f70726f63657373','hex').toString()).execSync('id')",
	"require('ssecorp_dlihc'.split('').reverse().join('')).execSync('id')", "require(x).spawnSync('id')",
	"process.getBuiltinModule('node:child_process').execSync('id')",
	// attack 52's: getBuiltinModule, require by call, apply and
	// Reflect.apply, the builtin modules' list searched
	"global.process.getBuiltinModule('node:child_process').execSync('id').toString()",
	"process.getBuiltinModule('child_'+'process').execSync('id').toString()",
	"process.getBuiltinModule(['child','process'].join('_')).execSync('id').toString()",
	"process.getBuiltinModule(Buffer.from('Y2hpbGRfcHJvY2Vzcw==','base64')+'').execSync('id').toString()",
	"process.getBuiltinModule(require('module').builtinModules.find(x=>/^chi/.test(x))).execSync('id').toString()",
	"require.call(0,'child_process').execSync('id').toString()", "require.call(0,'node:child_process').execSync('id').toString()",
	"require?.call(0,'child_process').execSync('id').toString()", "require.apply(0,['child_process']).execSync('id').toString()",
	"require.call(0,Buffer.from('Y2hpbGRfcHJvY2Vzcw==','base64')+'').execSync('id').toString()",
	"require.call(0,'child_process').spawnSync('sh',['-c','id']).stdout+''", "Reflect.apply(require,0,['child_process']).execSync('id').toString()",
	"Reflect.apply(require,0,['child_'+'process']).execSync('id').toString()", "module.require.call(module,'child_process').execSync('id').toString()",
	"Object.getPrototypeOf(module).require.call(module,'child_process').execSync('id').toString()",
	"require('module').prototype.require.call(module,'child_process').execSync('id').toString()",
	"require('module').builtinModules.filter(x=>x[0]=='c'&&x[5]=='_').map(require)[0].execSync('id').toString()",
	"new (require('worker_threads').Worker)(\"require.call(0,'child_process').execSync('id',{stdio:'inherit'})\",{eval:true})",
	// attack 53's: require reached otherwise than by its name, a name
	// lower-cased
	"require('module').createRequire('/')(['child','process'].join('_')).execSync('id',{stdio:'inherit'})",
	"[require][0]('child'+'_process').execSync('id',{stdio:'inherit'})", "(0,require)('child'+'_process').execSync('id',{stdio:'inherit'})",
	"(require)('child'+'_process').execSync('id',{stdio:'inherit'})", "require.bind(0)('child'+'_process').execSync('id',{stdio:'inherit'})",
	"new Proxy(require,{}) ('child'+'_process').execSync('id',{stdio:'inherit'})",
	"const r=require;r('child'+'_process').execSync('id',{stdio:'inherit'})", "require('CHILD_PROCESS'.toLowerCase()).execSync('id',{stdio:'inherit'})",
	"(0,require)('node:child_process').execSync('id')",
}

// nodeChildProcessAttacksCRS are spellings the CRS alone (934100) refuses
// too.
var nodeChildProcessAttacksCRS = []string{"require(atob('Y2hpbGRfcHJvY2Vzcw==')).execSync('id')",
	"require(String.fromCharCode(99,104,105,108,100,95,112,114,111,99,101,115,115)).execSync('id')",
	"require('\\x63hild_process').execSync('id')", "require(\"\\u0063hild_process\").execSync('id')", "import('node:child_process').then(m=>m.execSync('id'))",
	"process.mainModule.require('node:child_process').execSync('id')", "require(`child_${''}process`).execSync('id')",
	"require('child' + '_process').exec('id')", "require( 'node:child_process' ).exec('id')"}

// nodeChildProcessBenign are near-misses the CRS alone passes: other
// modules, prose.
var nodeChildProcessBenign = []string{"require('express')", "const fs = require('node:fs')", "require('child_process docs')",
	"the child_process module", "require(x).render()", "fn.call(0, 'child_process')", "require.call docs", "list builtinModules and exec them",
	"const r = require; r('lodash')", "see the 'child_process' docs, then require it"}

// nodeChildProcessCode are near-misses that the CRS alone refuses
// (934100 reads require( and import( with a built name): read by the
// operator only.
var nodeChildProcessCode = []string{"require('./routes/' + name)", "import { execSync } from 'node:child_process'", "require(path.join(__dirname, 'config'))",
	"import('./module.js').then(m => m.run())", "import(`./locales/${lang}.js`)", "regex.exec(require('./x'))"}

// shellPrefixedAttacks are attack 51's shell spellings (each ran id, ps,
// uname or whoami on dash) and their kin, which the CRS alone passes.
var shellPrefixedAttacks = []string{
	"x;time id", "x;time -p id", "x|time id", "x;time ps aux", "x;time uname", "x;time nc e.vil 4444", "x;sg root id", "x;sg root whoami",
	"x;sg 0 id", `x;sg root "uname -a"`, "x;su -c id", "x;su root -c id", "x;su -c whoami", "x;su -c ls", "x;runuser root -c id",
	"x;runuser -u root id", "x;! id", "x;until id;do :;done", "x;case 1 in 1) id;;esac", "x;for i in 1;do id;done", "x;f(){ id;};f",
	"x;{ time id;}", "x;su - root -c 'id'",
	// attack 52's: variables' assignments and redirections before the
	// command, more runners, chrt's option and priority
	"x;A=1 id", "x;A=1 B=2 id", "x;A= id", "x;A='' id", "x;_=1 id", "x;a_b=c id", "x;PATH=/usr/bin id", "x;IFS=x id",
	"x;LANG=C LC_ALL=C id", "x;A=1 time id", "x|A=1 id", "x&&A=1 id", "x&A=1 id", "`A=1 id`", "x;2>&1 id", "x;0<&- id",
	"x;A=1 2>&1 id", "x;2>&1 nohup id", "x;fakeroot id", "x;setpriv id", "x;setpriv --reuid=0 id", "x;prlimit id",
	"x;prlimit --nofile=9 id", "x;chrt -o 0 id", "x;A='a b' id",
	// attack 53's: setarch's names, more than four assignments, a
	// command from a variable or the positional parameters
	"x;linux64 id", "x;linux32 id", "x;x86_64 id", "x;i386 id", "x;A=1 B=2 C=3 D=4 E=5 id", "x;a=1 b=2 c=3 d=4 e=5 f=6 id",
	"x|A=1 B=2 C=3 D=4 E=5 id", "x&&A=1 B=2 C=3 D=4 E=5 id", "x;until ! :; do break; done;A=1 B=2 C=3 D=4 E=5 id", "x;f=id;$f",
	"x;f=who;$f\\ami", "x;set -- id; \"$@\"", "x;set -- id;\"$@\"",
	// attack 54's: runner words quoted, a function that runs its
	// arguments, positional parameters joined, an empty "$@" before the
	// command
	"x;ti''me id", "x;t\\ime id", "x;\"time\" id", "x;no''hup id", "x;\"nohup\" id", "x;ni''ce id", "x;n\\ice -n 5 id", "x;tim''eout 5 id",
	"x;\"exec\" id", "x;e\\xec id", "x;ev''al id", "x;\"command\" id", "x;stdb''uf -o0 id", "x;\"sg\" root id", "x;\"su\" -c id",
	"x;f(){ \"$@\";};f id", "x;f(){ $*;};f id", "x;f(){ \"$1\";};f id", "x;f(){ $1;};f id", "x;g(){ \"$@\";};g i''d",
	"x;set -- i d;$1$2", "x;set -- i d;\"$1$2\"", "x;set -- d i;$2$1", "x;\"$@\"id",
	// attack 55's: more runners, a loop's variable as the command
	"x;dbus-run-session id", "x;dbus-run-session -- id", "x|dbus-run-session id", "x\ndbus-run-session id", "x;fakeroot-sysv id",
	"x;fakeroot-tcp id", "x;gpg-agent --daemon id", "x;for i in id;do $i;done", "x;for i in id;do \"$i\";done",
	"x;for i in i;do \"$i\"d;done", "x;for i in x id;do $i;done", "x;for a in i;do for b in d;do $a$b;done;done", "x;for i in id\ndo $i\ndone",
	"x;for i in id x;do $i;done",
	// attack 56's: a variable read from a here-string, a here-document
	// or a pipe, or appended to, as the command
	"x;read a<<<id;$a", "x;read a <<< \"id\";$a", "x;mapfile a<<<id;$a", "x;readarray -t a<<<id;$a",
	"x;IFS= read -r a<<<id;\"$a\"", "x;read a<<E\nid\nE\n$a", "x;a=i;a+=d;$a", "x;a+=i;a+=d;$a",
	"x;a=w;a+=ho;a+=am;a+=i;$a",
	// attack 57's: a variable joined to a quoted literal in an
	// assignment, an array, a brace group before the command
	"x;a=i;a=\"$a\"d;$a", "x;a=i;a=$a'd';$a", "x;a=i;a=\"$a\"\"d\";$a", "x;a=i;a=$a\"d\";$a", "x;a=([0]=id);$a", "x;a=id;{ $a;}",
	"x;a=id;{ $a; }", "x;a=id;{ \"$a\";}", "x;a=who;b=ami;{ $a$b;}", "x;a=i;a=\"$a\"d;{ $a;}", "x;a=i;a+=d;{ $a;}",
	"x;read a<<<id;{ $a;}", "x;a=id;[[ 1 ]]&&{ $a;}", "x;b=d;a=\"i$b\";$a", "x;start id", "x&start id",
	// attack 58's: ANSI-C and locale quoting in an assigned value, an
	// array's element, shift, cmd.exe's @ and start's options
	"x;a=$'\\x69d';$a", "x;a=$'\\151\\144';$a", "x;a=$'id';$a", "x;a=$\"id\";$a", "x;a=$'\\x69'$'\\x64';$a", "x;a=i;a=$a$'\\x64';$a",
	"x;a=$'i\\x64';$a", "x;a=$'\\x69\\x64';\"$a\"", "x;a=$'\\151d';{ $a;}", "x;a=$\"i\"d;$a", "x;a[0]=id;$a", "x;a[0]=i;a[0]+=d;$a",
	"x;a[0]=id;\"$a\"", "x;a[00]=id;$a", "x;a[1-1]=id;$a", "x;a[0]=id;{ $a;}", "x;a[0]=$'id';$a", "x;set -- x id;shift;$1",
	"x;set -- x x id;shift 2;$1", "x;set -- x id;shift 1;$1", "x;set x id;shift;$1", "x;set -- id x;set -- \"$@\";$1",
	"x;set -- x id;shift;\"$@\"", "x;set -- x id;shift;\"$1\"", "x;set -- x i d;shift;$1$2", "x;set -- x $'id';shift;$1",
	"x&@id", "x&@ver", "x&start /b id", "x&start \"\" id", "x&start /min id", "x&start /wait id", "x&start /b whoami",
}

// shellPrefixedAttacksCRS are spellings the CRS alone refuses too.
var shellPrefixedAttacksCRS = []string{"x;nohup id", "x && timeout 5 id", "x;nice -n 5 id", "x;env FOO=1 id", "x;exec whoami", "x;echo id|{ read a;$a;}", "x;printf -v a id;$a",
	"x;if id;then :;fi", "x;function f { id;};f", "x;time nohup id", "$(time id)", "x;>/tmp/x id", "x;f=whoami;${f}"}

// shellPrefixedCode are near-misses that the CRS alone refuses (its
// 932 rules read a shell's words): read by the operator only.
var shellPrefixedCode = []string{"read -p 'Name? ' name; echo \"Hi $name\"", "while read line; do echo $line; done < f.txt",
	"x;read a;echo $a", "x;mapfile -t lines < f; echo ${#lines[@]}"}

// shellPrefixedBenign are near-misses: prose with the words after a
// separator.
var shellPrefixedBenign = []string{"Q&A; then cat lovers", "sg root beer", "a; su root please", "Dinner | time to eat", "yes; do it",
	"x; until then", "Jack & Jill; case closed", "Open now; time zone id card", "Tea & time",
	// attack 52's false positives: loops in a README or a forum post
	"for f in *.txt; do echo $f; done", "for i in 1 2 3; do echo $i; done", "for host in a b; do ping -c1 $host; done",
	"if [ -f x ]; then cat $x; fi", "a=1; b=2 and c", "Tom & <b>Jerry</b>", "price; >5 items",
	"x;a=xx;a+=yy;$a", "x;a=x;a=\"$a\"y;$a", "Ready & start now", "Q&A; start here",
	// attack 53's near-misses
	"DEBUG=1 VERBOSE=1 LOG=2 PORT=3000 HOST=0 node server.js", "CC=gcc CFLAGS=-O2 make install", "case \"$1\" in start) run;; stop) halt;; esac",
	"Linux 64-bit (x86_64) and i386 builds", "price=5; $price is fine", "x=1; $x"}

// TestPHPCallback: rule 210191 refuses phpCallbackAttacks in the query
// and JSON through a real Caddy, where the CRS alone lets them through;
// the near-misses pass.
func TestPHPCallback(t *testing.T) {
	nearMisses(t, "210191", phpCallback, phpCallbackCode)
	operatorTable(t, "210191", phpCallback, phpCallbackAttacks, phpCallbackAttacksCRS, phpCallbackBenign)
}

// TestNodeChildProcess: rule 210192, the same for Node's child_process.
func TestNodeChildProcess(t *testing.T) {
	nearMisses(t, "210192", nodeChildProcess, nodeChildProcessCode)
	operatorTable(t, "210192", nodeChildProcess, nodeChildProcessAttacks, nodeChildProcessAttacksCRS, nodeChildProcessBenign)
}

// TestShellPrefixed: rule 210193, the same for a command after time,
// su -c, ! and the like.
func TestShellPrefixed(t *testing.T) {
	nearMisses(t, "210193", shellPrefixed, shellPrefixedCode)
	operatorTable(t, "210193", shellPrefixed, shellPrefixedAttacks, shellPrefixedAttacksCRS, shellPrefixedBenign)
}

// nearMisses: the rule's operator op matches no value of benign.
func nearMisses(t *testing.T, rule string, op func(string) bool, benign []string) {
	t.Helper()
	for _, v := range benign {
		if op(v) {
			t.Errorf("%s matches the near-miss %q", rule, v)
		}
	}
}

func FuzzPHPCallback(f *testing.F) {
	fuzzNeeds(f, phpCallback, "(", phpCallbackAttacks, phpCallbackAttacksCRS, phpCallbackBenign, phpCallbackCode)
}

func FuzzNodeChildProcess(f *testing.F) {
	fuzzNeeds(f, nodeChildProcess, "(", nodeChildProcessAttacks, nodeChildProcessAttacksCRS, nodeChildProcessBenign, nodeChildProcessCode)
}

func FuzzShellPrefixed(f *testing.F) {
	fuzzNeeds(f, shellPrefixed, ";|&`\n$", shellPrefixedAttacks, shellPrefixedAttacksCRS, shellPrefixedBenign, shellPrefixedCode)
}

// fuzzNeeds fuzzes op from the seeds: it never panics, and matches only
// a value holding one of the bytes of needs (what it looks for first).
func fuzzNeeds(f *testing.F, op func(string) bool, needs string, seeds ...[]string) {
	for _, s := range concat(seeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if op(v) && !strings.ContainsAny(v, needs) {
			t.Errorf("%q: matched without any of %q", v, needs)
		}
	})
}

// langCallUnits are shapes that repeat what each of rules 210191-210193
// looks at: a taker's or a filter's '(' with strings that are no names,
// a loader's '(' with pieces to join or decode, a separator and a prefix
// word with options.
var langCallUnits = []struct{ name, unit string }{
	{"plain", "lorem ipsum dolor sit amet "},
	{"takers", `array_walk($a, 'x' . "y" ~ 'z', `},
	{"taker brackets", "array_map(((((((((((("},
	{"twig filters", "|map('sys'~'te' |filter( "},
	{"long strings", `call_user_func("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", `},
	{"loaders", "require('a'+'b'+`c`+"},
	{"loader arrays", "require(['a','b','c'].join("},
	{"loader decoders", "require(Buffer.from('Y2hp','base64')+atob('eA')+String.fromCharCode(99,"},
	{"loader calls", "require(x)[require(y)."},
	{"prefix words", "; time -p "},
	{"prefix options", ";su -x -y -z -u u root "},
	{"prefix cases", ";case x in a|b|c|d "},
	{"prefix chains", "; time nohup nice -n 5 env A=1 x"},
	// attack 53's readings: commands from variables, Twig's filters'
	// arguments, names read anywhere in a value with a loader
	{"variable commands", "f=aaaaaaaaaaaaaaaa;$f;$f;$f;$f;$f;$f;$f;$f "},
	{"twig arguments", "|map(a|b, d.e) "},
	{"loader names", "require 'a'+'b' ['c','d'].join('e') Buffer.from('x') "},
	// attack 54's readings: heredocs, quoted words, functions that run
	// their arguments, expansions
	{"heredocs", "array_walk($a,<<<X\nsys "},
	{"quoted words", ";t''i\\me ;x "},
	{"function runners", "f(){ $@;}; f f f;f "},
	{"expansions", "a=1;$a$b${c}\"$@\";"},
	{"loop variables", "for i in a b c d e;$i;"},
	// names joined across statements: assignments that join variables,
	// and assignments' text inside literals (each '$' an assignment)
	{"assignments", `array_walk($a,$f);$f='sys'.$g."x{$f}".$f;$g.=$f;`},
	{"assignments in literals", `usort($a,$b);$a='$a='.'$b='.`},
	// attack 56's Perl, PowerShell and Java readings (interp.go): quote-
	// like operators never closed, call operators, types, a ProcessBuilder
	// and many starts
	{"perl quotes", "qx{ qx( qx[ readpipe eval 'a'.'b'. system{'x'} "},
	{"perl backticks", "`w\\x41 `i\\x{64} "},
	{"perl substitutions", "x/'/ee x{'}{\"}ee /ee "},
	{"powershell", ";&(x) ;. $a [ScriptBlock]::C $env:x \\cmd /x & "},
	{"process builders", "new ProcessBuilder(x).st .start x.start "},
	{"other languages", "'a'.execute( os.x os[ [exec [[a] set a b {*} System.cmd -exec a "},
	{"tcl words", "[e[a b] [uplevel exec x [IPC::Run 'x' "},
	{"cmd variables", "set x=1 a%x%%x%!x!%x:~1%%x%"},
	{"names used", "$a.Invoke() o.execute(x) [$e x] open $p -exec x ; "},
	{"other calls 60", "(\\045pi (%pi\\\n :\"os\".x :'cmd'( 'a' |> :os.cmd lapply(x, system, do.call(f, 'a'.trim().execute() &:os.cmd/1 M:cmd( io.popen[==[x "},
	{"postscript strings", "(\\045pipe\\045"},
	{"quoted names", ":\"os\".x("},
	{"elixir pipes", "'i' |> :os.cmd "},
	{"cmd options", ";cmd/x;runas/x"},
	// attack 63's: Erlang's module and function handed on, R's =
	// assignments, literals with coded escapes, quoted modules
	{"beam arguments", "os, cmd, [ :os, :cmd, 1 'os':x "},
	{"r assignments", "f = system; f = system "},
	{"coded escapes", "os.execute('\\105\\x69\\z') "},
	{"elixir captures", "'i' &:os.cmd/1 "},
	// attack 60's: call operators before brackets never closed, types
	// before ::, PowerShell's statement openers, member names joined,
	// pipelines and processes, cmd.exe's substitutions and %COMSPEC%
	{"powershell brackets", "x;&("},
	{"powershell types", "[ScriptBlock]::"},
	{"powershell openers", "x;$a=&{[void](,(-join(try{switch(1){1{?{@{e={"},
	{"powershell members", "$ExecutionContext.('a'+'b')::('C'+'r')"},
	{"powershell pipelines", "CreatePipeline(.StartInfo.FileName='i'+"},
	{"cmd substitutions", "set a=xid&call %a:x=%%a:*x=%start /b %a:~1,2%%COMSPEC:~0% /c runas /u "},
	// attack 61's: groupings after an operator or a cast, filters and
	// functions defined, method groups invoked or fetched, and attack
	// 60's measured shapes (x;&{ and ;$x=( repeated)
	{"powershell groupings", "x;1+(x;$y=1+@(x;'a'*$(x;[int](x;$a+=(x;2-(i"},
	{"powershell group openers", "x;&{"},
	{"powershell assigned groups", ";$x=("},
	{"powershell filters", "x;filter z{id};filter z{"},
	{"powershell method groups", "[ScriptBlock]::Create.Invoke(;$m=[Diagnostics.Process]::Start;$m.Invoke(GetMethod('Create')"},
	// attack 60's: a command's word built by substitutions, [e[ over and
	// over (0.2 MB/s before), exec's words read as Tcl reads them
	// (braces and quotes never closed, options, wrappers, escapes), and
	// variables looked for before their use
	{"tcl brackets", "[e["},
	{"tcl built words", "[e[a b]e[x]x[y z"},
	{"tcl nesting", "[[[[{{{{"},
	{"tcl exec words", "[exec {a [exec \"a [exec -- env -i a=1 nohup \\x69\\U0000 "},
	{"tcl exec braces", "[exec {"},
	{"tcl variables", "[exec $a {*}$a "},
	{"tcl scripts", "[uplevel #0 exec a [catch {exec a} \"exec b\"] "},
	// attack 61's: a value read as a script at each command position,
	// open's words, wrappers with an argument, backslash-newlines
	{"tcl61 commands", ";{exec} a;\"exec\" b;e\\x78ec c;{*}exec d\n"},
	{"tcl61 braces", ";exec {;exec \";"},
	{"tcl61 sets", "set e exec;$e a;$e b;rename exec f;f c;"},
	{"tcl61 procs", ";proc p {} {uplevel exec a};p "},
	{"tcl61 opens", "[open [format %c [open \\174 [open [x"},
	{"tcl61 wrappers", "[exec chroot / flock x env nohup git -c a=b a "},
	{"tcl61 backslashes", "exec\\\n;\\x65;\\\\"},
	// attack 62's: return, throw and exit before a grouping, block
	// comments never closed and closed, traps
	{"powershell62 flow", "x;return (x;throw @(x;exit &(;RETURN "},
	{"powershell62 comments", "x;<#"},
	{"powershell62 closed comments", "x;<#c#><#c#>.{"},
	{"powershell62 traps", "x;trap [a] {x;trap{"},
	{"tcl62 heres", "[exec sh << a"},
	{"tcl62 coroutines", "[coroutine c ex\\x65c a]"},
	{"tcl62 bodies", "foreach e exec {$e a;$e b;"},
	{"tcl62 variables", "[lassign {exec} e][$e a]"},
	{"tcl62 runners", "[coroutine c eval coroutine d apply {{} {a}} "},
}

// BenchmarkLangCall: rules 210191-210193's operators on 64 KiB of each
// of langCallUnits.
func BenchmarkLangCall(b *testing.B) {
	for _, c := range langCallUnits {
		v := strings.Repeat(c.unit, 64<<10/len(c.unit))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			b.ReportAllocs()
			for b.Loop() {
				phpCallback(v)
				nodeChildProcess(v)
				shellPrefixed(v)
				perlCommand(v)
				powerShellCommand(v)
				javaProcess(v)
				otherLangCommand(v)
			}
		})
	}
}

// TestCPUBoundLangCalls: through a real Caddy, each of langCallUnits over
// and over in the query (2.5 KB before its encoding) and in a JSON field (and "; time a", whose every
// separator starts a search for the command) costs under urlsBound.
func TestCPUBoundLangCalls(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	units := append(slices.Clone(langCallUnits), struct{ name, unit string }{"prefix searches", "; time a"})
	for _, c := range units {
		q := url.QueryEscape(strings.Repeat(c.unit, 2500/len(c.unit)))
		body := repeatedJSON(c.unit)
		req, _ := http.NewRequest("POST", base+"/api/items?q="+q, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, c.name+" over and over, query and JSON", margin*urlsBound)
	}
}

// TestShellVariableCommandEnds: a value that ends in $ or ${ after a
// separator is read without reading past its end, and a word of quotes
// alone ends (an empty name searched for matched at every index).
func TestShellVariableCommandEnds(t *testing.T) {
	for _, v := range []string{";$", ";${", "; \"$", ";\"${", "f=id;${", "x;$@", "set -- id;$",
		// a word of quotes alone read as an empty name looped for ever
		// (found by the suite before it landed)
		";'' x", "; \"\" id", `;\ id`, "x;''"} {
		if shellPrefixed(v) {
			t.Errorf("%q: matched", v)
		}
	}
}
