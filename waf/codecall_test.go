package waf

import (
	"net/url"
	"strings"
	"testing"
)

// codeCallAttacks are attacks 20's and 21's Ruby and Python spellings
// that rule 210116 let through, and more of their kind.
var codeCallAttacks = []string{
	// Ruby's send by any receiver
	`Object.send(:system, "id")`, `1.send(:system,"id")`, `x.public_send("exec", "id")`, `Object.__send__(:spawn, "id")`,
	`[].send :system, "id"`, "Object.send(:`, \"id\")",
	// Kernel's command methods with a character literal or a splat
	`Kernel.system ?i+?d`, `Kernel.spawn(*["id"])`, `Kernel::exec(*%w[id])`,
	// PTY
	`PTY.spawn("id")`, `PTY.spawn 'id'`, `PTY::getpty("id")`,
	// %x with other delimiters
	`%x^id^`, `%x/id/`, `%x~id~`, `x = %x|id|`, `#{%x"id"}`,
	// Python's __import__ and import_module, any argument
	`__import__(*["subprocess"]).getoutput("id")`, `__import__(name="os").system("id")`, `__import__("sub"+"process").getoutput("id")`,
	`__import__("o" "s").system("id")`, `__import__(*("os",)).popen("id").read()`, `__import__('os.path').system('id')`,
	`importlib.import_module("subprocess").getoutput("id")`, `__import__( 'pty' ).spawn('sh')`,
	// asyncio
	`await asyncio.create_subprocess_shell("id")`, `asyncio.create_subprocess_exec("sh", "-c", "id")`,
	// a decorator chain
	"from os import system\n@system\n@lambda c:c.__name__\nclass id:pass", "import os\n@os.popen\n@lambda f:'id'\ndef x():pass",
	// attack 23's: a decorator with a comment, in brackets, by an alias;
	// __import__ and asyncio reached without the bare call; Ruby's
	// command methods as procs and blocks, Open3's odd arguments
	"from os import system\n@system # run\n@lambda c:c.__name__\nclass id:pass", "from os import system\n@(system)\n@lambda c:c.__name__\nclass id:pass",
	"from os import system as s\n@s\n@lambda c:c.__name__\nclass id:pass", "import os as o\n@o.system\n@lambda c:c.__name__\nclass id:pass",
	"from os import system as s\n@s\n# the name\n\n@lambda c:c.__name__\nclass id:pass",
	"@exec\n@lambda c:c.__doc__\nclass x:\n  'a=1'",
	`(__import__)("subprocess").getoutput("id")`, `__import__.__call__("subprocess").getoutput("id")`, `getattr(__builtins__,"__import__")("subprocess").getoutput("id")`,
	`vars(__builtins__)["__import__"]("subprocess").getoutput("id")`, `getattr(asyncio,"create_subprocess_shell")("id")`,
	`await loop.subprocess_shell(asyncio.SubprocessProtocol, "id")`, `getattr(loop, 'subprocess_exec')(P, "id")`,
	`:system.to_proc.call(Kernel,"id")`, `"system".to_sym.to_proc.call(Kernel, "id")`, `method(:system).call("id")`, `Kernel.method("exec").("id")`,
	`Kernel.then{_1.system "id"}`, "Kernel.instance_eval{`id`}", `Kernel.tap do |k| k.spawn 'id' end`,
	`Open3.capture2(?i+?d)`, `Open3.capture2(*["id"])`, `Open3::popen3 "id"`,
	// attack 24's: Ruby's other method objects and Kernel.itself;
	// Python's string escapes, prefixes and case, __import__ and asyncio
	// as joined literals, an imported create_subprocess_shell, Python
	// 3.9's decorator expressions
	`Kernel.public_method(:system).call("id")`, `Kernel.singleton_method(:system).call("id")`,
	`Kernel.instance_method(:system).bind_call(Kernel,"id")`, `Kernel.itself.system "id"`,
	`__import__("\x73ubprocess").getoutput("id")`, `__import__("\163ubprocess").getoutput("id")`, `__import__(r"subprocess").getoutput("id")`,
	`__import__(f"subprocess").getoutput("id")`, `__import__(Rb"subprocess").getoutput("id")`, `__import__("SUBPROCESS".lower()).getoutput("id")`,
	`__builtins__.__dict__["__imp" "ort__"]("subprocess").getoutput("id")`,
	`getattr(asyncio,"create_subprocess_" "shell")("id")`, "from asyncio import create_subprocess_shell as c\nawait c(\"id\")",
	"from os import system\n@[system][0]\n@lambda c:c.__name__\nclass id:pass", "from os import system\n@(s:=system)\n@lambda c:c.__name__\nclass id:pass",
	"from os import system\n@system if 1 else 0\n@lambda c:c.__name__\nclass id:pass", "from os import system\n@{1:system}[1]\n@lambda c:c.__name__\nclass id:pass",
	"import os\n@os.system or 0\n@lambda c:c.__name__\nclass id:pass",
	// attack 25's: Ruby's quoted, %s and escaped symbols, safe
	// navigation, a heredoc, Process.spawn, a send of Open3's; Python's
	// names in strings for getattr and vars, subprocess.run, lone CRs,
	// modules reached by sys.modules, load_module, aliases, pty.spawn
	`Object.send(:"system", 'id')`, `Object.send(:'system', 'id')`, `Object.send(%s(system), 'id')`, `1.send(:"\163ystem", 'id')`,
	`1.send(:"sys#{}tem", 'id')`, `1.send(%s{exec}, 'id')`, `1.method(:"\x73ystem").call('id')`, `1.method(%s(system)).call('id')`,
	`Kernel&.system 'id'`, "Kernel.system <<~E\nid\nE", `Process.spawn ?i+?d;Process.wait`, `require 'open3';puts Open3.send(:capture2, 'id')`,
	"import os\n@getattr(os,'system')\n@lambda c:c.__name__\nclass id:pass", "import os\n@vars(os)['system']\n@lambda c:c.__name__\nclass id:pass",
	"import os\n@os.__dict__['system']\n@lambda c:c.__name__\nclass id:pass", "import subprocess\n@subprocess.run\n@lambda c:c.__name__\nclass id:pass",
	"from os import system\r@system\r@lambda c:c.__name__\rclass id:pass",
	"import sys\ngetattr(sys.modules['posix'],'sys'+'tem')('id')", "getattr(__builtins__.__loader__.load_module('posix'),'sys'+'tem')('id')",
	"from importlib import import_module as im\ngetattr(im('posix'),'sys'+'tem')('id')", "i=__builtins__.__import__\ni('subprocess').getoutput('id')",
	"import operator\noperator.attrgetter('__import__')(__builtins__)('subprocess').getoutput('id')", "import pty\npty.spawn('id')",
	// attack 26's: Kernel in brackets, in an array, by name and through
	// the methods that return it; Python decorators over lines, after
	// a command module with an attribute, an alias imported after a ;,
	// modules that run commands or hold os
	`(Kernel).system "id"`, `Kernel.freeze.system "id"`, `Kernel.dup.system "id"`, `Kernel.clone.system "id"`, `Kernel.itself().system "id"`,
	`Kernel.itself.itself.system "id"`, `Object.const_get(:Kernel).system "id"`, `Object.const_get("Kernel").system "id"`, `[Kernel].first.system "id"`,
	`[Kernel][0].system "id"`, `Kernel.itself.then{_1.system "id"}`,
	"from os import system\n@(\n system\n)\n@lambda c:c.__name__\nclass id:pass", "from os import system\n@\\\nsystem\n@lambda c:c.__name__\nclass id:pass",
	"import sys; import os as o\n@o.system\n@lambda c:c.__name__\nclass id:pass", "import os\n@os.system.__call__\n@lambda c:c.__name__\nclass id:pass",
	"from os import system\n@system.__call__\n@lambda c:c.__name__\nclass id:pass",
	`__import__("pydoc").pipepager("", "id")`, `__import__("distutils.spawn").spawn.spawn(["id"])`, `__import__("shutil").os.posix_spawnp("id", ["id"], {})`,
	`importlib.import_module("glob").os.popen("id").read()`, `__import__("webbrowser").get("id %s").open("x")`,
	"import os\ns = os.system\n@s\n@lambda c:c.__name__\nclass id:pass", "import os as o\nrun = o.popen # later\n@run\n@lambda f:'id'\ndef x():pass",
	"from os import system as y\ns = y\n@s\n@lambda c:c.__name__\nclass id:pass", "e = exec\n@e\n@lambda c:c.__doc__\nclass x:\n  'a=1'",
	"from subprocess import call\ncall('id', shell=True)", "from subprocess import call; call('id', shell=True)",
	"import subprocess as sp\nsp.call('id', shell=True)", "from os import posix_spawnp as ps\nps('/usr/bin/id', ['id'], {})",
	"from subprocess import (\n  run,\n)\nrun('id', shell=True)",
	// attack 27's: Ruby's command methods bare, Kernel by a local
	// variable or a block's parameter, send and method with a name made
	// at run time; Python's getattr, vars and __dict__ with joined
	// names, a command function passed as a value, pydoc, a star import
	`system "id"`, `exec "id"`, `spawn "id"`, `Process.wait spawn "id"`, `self.system "id"`, `->(){system "id"}.()`, `proc{system "id"}.call`,
	`1.then{system "id"}`, `loop{system "id";break}`, `define_method(:x){system "id"};x`, `Object.new.instance_eval{system "id"}`,
	`Kernel.instance_variable_get(:@x);system "id"`, `k=Kernel;k.spawn("id")`, "k = Kernel\nk.spawn(\"id\")", "k=Kernel\nk.system \"id\"",
	`[Kernel].each{|k|k.system "id"}`, `Kernel.send(("sys"+"tem").to_sym,"id")`, `Kernel.send([:system][0],"id")`,
	`Kernel.__send__(["sys","tem"].join,"id")`, `Kernel.public_send(Kernel.methods.grep(/^sys/)[0],"id")`,
	`Kernel.method(("sys"+"tem").to_sym).call "id"`, `Kernel.method([:system][0]).("id")`, `Kernel.singleton_method([:spawn][0]).call "id"`,
	`import os;getattr(os,"sys"+"tem")("id")`, `import os; s=getattr(os, "sy" "stem"); s("id")`, `import os;os.__dict__["system"]("id")`,
	`import os;vars(os)["system"]("id")`, `import subprocess as s;s.run("id",shell=True)`, `import os;f=os.system;f("id")`,
	`import os;list(map(os.system,["id"]))`, `import os;(lambda f:f("id"))(os.system)`, `import pydoc;pydoc.pipepager("","id")`,
	"from subprocess import call\ncall(\"id\", shell=True)", `from subprocess import *;run("id",shell=True)`, `from os import system as s;s("id")`,
	// attack 28's: a bare command method with a variable assigned
	// before, a bare send, IO.popen without brackets; Python's getattr
	// with a name made at run time or of an aliased module, vars in
	// dict(), methodcaller
	`c="id";system c`, `"id".then{|c|system c}`, `%w[id].each{|c| system c}`, "cmd = ARGV[0] || \"id\"\nsystem cmd",
	"x = \"id\"\nspawn x; Process.wait", `send(:system, "id")`, `send("system", "id")`, "puts send(:`, \"id\")", `puts IO.popen "id", &:read`,
	`import os;getattr(os,"metsys"[::-1])("id")`, `import os;getattr(os,"SYSTEM".lower())("id")`, `import os;getattr(os,*["system"])("id")`,
	`import os;getattr(os,f"{'sys'}tem")("id")`, `import os;dict(vars(os))["system"]("id")`, `import os,operator;operator.methodcaller("system","id")(os)`,
	`import subprocess as s;getattr(s,"check_output")("id")`,
	`subprocess.call('id',shell=True)`, `subprocess.run("id", shell=True)`, `subprocess.check_output(["id"])`, `subprocess.getoutput("id")`,
	`os.execvp("id", ["id"])`, `os.spawnlp(os.P_WAIT, "id", "id")`, `os.posix_spawnp("id", ["id"], {})`, `subprocess . run ( "id" )`, `shutil.os.posix_spawnp("id", ["id"], {})`,
	// attack 28's open items: Kernel by a name made at run time, a
	// hash's or array's element as the command
	`Object.const_get("Ker"+"nel").system "id"`, `Object.const_get(%w[Ker nel].join).spawn("id")`, `Object.const_get("Pro" "cess").spawn "id"`,
	`Object.const_get(["Ker","nel"].join) . send(:system, "id")`, `system ENV["C"]`, `exec ENV["CMD"]`, "def run\n  system params[:cmd]\nend",
	// attack 29's: a bare command's string going on as an expression,
	// with no space, a global variable, an assignment as the argument;
	// bare send with a symbol, spawn(; eval of a joined string, method
	// with a joined name; %x after print/puts
	`system "id" or 1`, `system "id" and 1`, `system "i"+"d"`, `system "i" "d"`, `system "di".reverse`, `system 'id'.dup`, `system "id".strip`,
	`system "%s" % "id"`, `system "id" * 1`, `system c="id"`, `$c="id";system $c`, `system"id"`, `system "id" # note`, `exec "i"+"d"`, `exec"id"`,
	`loop{system "id" and break}`, `-> { system "id" or 1 }.()`, `1.then{system"id"}`, `spawn "id" or 1; Process.wait`, `spawn("id"); Process.wait`,
	`pid=spawn("id");Process.wait pid`, `send :system, "id"`, `send :exec, "id"`, `send :spawn, "id"; Process.wait`, `instance_eval "sys"+"tem 'id'"`,
	`method("sys"+"tem").call("id")`, `m=method("sys"+"tem"); m.("id")`, `method("sys"+"tem")["id"]`, `print %x(id)`, `puts %x{id}`,
	`send("sys"+"tem", "id")`, `class_eval("sys" "tem 'id'")`,
	// Python: getattr's other spellings, namespaces copied, splats
	"import os\ntype(os).__getattribute__(os,\"sys\"+\"tem\")(\"id\")", "import os, operator\noperator.attrgetter(\"sys\"+\"tem\")(os)(\"id\")",
	"import os, functools\nfunctools.reduce(getattr,[\"system\"],os)(\"id\")", "import os\ngetattr(*[os,\"system\"])(\"id\")",
	"import os\ng=getattr\ng(os,\"sys\"+\"tem\")(\"id\")", "import os\ndict(os.__dict__)[\"system\"](\"id\")", "import os\n{**vars(os)}[\"system\"](\"id\")",
	"import os\nvars(os).copy()[\"system\"](\"id\")", "import operator, os\noperator.methodcaller(*[\"system\",\"id\"])(os)",
	"import os\nos.__getattribute__(\"sys\"+\"tem\")(\"id\")", "import os\nvars(os).get(\"sys\" \"tem\")(\"id\")",
	// attack 30's: the string going on by <<, .+, &., ::, do end; a
	// unary minus, a number's or a symbol's method as the argument;
	// statements after and, !, not, if, unless, begin, puts; send with a
	// splat
	`system "i" << "d"`, `system "i".+ "d"`, `system "i".<<"d"`, `system "id" <<""`, `system "id"&.strip`, `system "id"::strip`,
	`system "id" do end`, `exec "id" do end`, `system -"id"`, `system 105.chr+100.chr`, `system :id.to_s`, `system :id.name`,
	`true and system "id"`, `!system "id"`, `not system "id"`, `1 if system "id"`, `1 unless !system "id"`, `begin system "id" end`,
	`puts system "id"`, `send(*%w[system id])`, `send *%w[system id]`, `__send__ *%w[system id]`, `send(*%i[system], "id")`,
	// Python: __call__ of a command function, a pickle's GLOBAL in code,
	// libc's system through ctypes
	`import os;os.system.__call__("id")`, "import os\nos.system.__call__ (\"id\")", "import subprocess\nsubprocess.run.__call__(\"id\")",
	`import pickle;pickle.loads(b"cposix\nsystem\n(Vid\ntR.")`, "import pickle\npickle.loads(b\"cos\\nsystem\\n(Vid\\ntR.\")",
	`import pickle;pickle.loads(b"\x80\x04\x95\x1d\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.")`,
	"import ctypes\ngetattr(ctypes.CDLL(None),\"sys\"+\"tem\")(b\"id\")",
	// attack 31's: the argument bound by a block's own parameter or self,
	// a method's parameter, a for loop, a named group, a destructuring, a
	// class variable; a ternary, a constant's method; spawn (; send of a
	// variable
	`"id".then{system _1}`, `["id"].each{system _1}`, `"id".tap{system _1}`, `"id".yield_self{system _1}`, `"id".instance_eval{system self}`,
	`"id".instance_eval{system to_s}`, `"id".instance_eval{system dup}`, `"id".instance_eval{system to_str}`, `"id".instance_exec{system itself}`,
	`def f(c) system c end;f "id"`, `def f(c) = system c;f "id"`, `for c in ["id"] do system c end`, `/(?<c>id)/ =~ "id"; system c`,
	`c,=["id"];system c`, `c,d="id";system c`, `class X;@@c="id";system @@c;end`, `system "id" ? "id" : 0`, `system Object.new.then{"id"}`,
	`system String.new("id")`, `system Hash.new, "id"`, `spawn ("id");Process.wait`, `send m="system", "id"`, `m=:system; send m, "id"`,
	// Python: inspect.getmembers, a lambda's default
	`import os,inspect; dict(inspect.getmembers(os))["system"]("id")`, `import os,inspect; dict(inspect.getmembers(os)).get("sys"+"tem")("id")`,
	`import os; (lambda f=os.system: f("id"))()`,
	// attack 32's: an alias of a command method, rightward and pattern
	// bindings, ||=, a lambda's bare parameter; a regular expression's,
	// a lambda's, a proc's or nil's method as the argument; eval of
	// decoded or packed code
	`alias x system;x "id"`, `Object.alias_method :x, :system;x "id"`, `"id" => c; system c`, `case "id"; in c then system c; end`,
	`c ||= "id"; system c`, `system /id/.source`, `-> c { system c }.("id")`, `system ->{"id"}.()`, `system proc{"id"}.call`,
	`system nil.to_s+"id"`, `eval "c3lzdGVtICJpZCI=".unpack1("m")`, `eval [115,121,115,116,101,109,32,39,105,100,39].pack("c*")`,
	// attack 33's: Open3 with any argument in brackets, RubyVM's compile,
	// Kernel found through ObjectSpace
	`require "open3"; c="id"; puts Open3.capture2(c)[0]`, `require "open3"; puts Open3.capture2(:id.to_s)[0]`, `c="id"; Open3.capture2(c)`,
	`RubyVM::InstructionSequence.compile("system 'id'").eval`, `RubyVM::InstructionSequence.compile("sys"+"tem 'id'").eval`,
	`ObjectSpace.each_object(Module).find{|m| m.name=="Kernel"}.system "id"`, `ObjectSpace.each_object(Module).find{|m| m.name=="Kernel"}.spawn "id"; Process.wait`,
	`k=ObjectSpace.each_object(Module).find{|m| m.to_s=="Kernel"}; k.system "id"`,
	// a review's: an escaped quote before a # that is no comment, an
	// alias of the backtick method
	`x='\'#';subprocess.call('id',shell=True)`, "alias run `;run \"id\"",
	// attack 34's: IO.read of a pipe made at run time; a command function
	// as a dict's value
	`puts IO.read("\x7cid")`, `puts IO.read("\174id")`, `puts IO.readlines("|"+"id")`, `puts IO.read("|#{}id")`, `puts IO.read(["|","id"].join)`,
	`puts IO.read("|i"+"d")`, `puts IO.read(124.chr+"id")`, `import os;{"a":os.system}["a"]("id")`, `import os;{0:os.system}[0]("id")`,
	// attack 36's: popen on any receiver without brackets; send of a
	// method found in the method list
	`puts Gem::Util.popen "id"`, `puts File.popen "id", &:read`, `IO.then{puts _1.popen "id", &:read}`, `puts File.popen"id",&:read`,
	`c="id";puts File.popen c, &:read`, `puts File.popen %w[id], &:read`, `self.send(private_methods.grep(/^syste/)[0],"id")`,
	`send(private_methods.grep(/^syste/)[0],"id")`, `Kernel.send(methods.find{|m|m.to_s=~/^sys/},"id")`,
	// attack 37's: popen of a symbol's or a number's method, Kernel's
	// open of a pipe built at run time, method of a found method, a
	// found method in a variable, names reversed, interpolated or in a
	// word array
	`IO.popen :id.to_s do |f| puts f.read end`, `IO.popen 105.chr+100.chr do |f| puts f.read end`, `open("|" "id").read.display`,
	`open(124.chr+"id").read.display`, `method(private_methods.grep(/^syste/)[0]).call("id")`, `x=private_methods.grep(/^syste/)[0]; send x, "id"`,
	`send("metsys".reverse, "id")`, `send("metsys".reverse.to_sym, "id")`, `send(:"#{"sys"}tem", "id")`, `send(%i[system][0], "id")`,
	// attack 38's: an unbound method bound to Kernel; Python's
	// subclasses walked to Popen or os's namespace, a module through an
	// object's sys
	`Object.instance_method(:method).bind(Kernel).call(:system).call("id")`, `Object.instance_method(:method).bind(Kernel).call(:spawn).call("id")`,
	`Object.instance_method(:method).bind_call(Kernel,:system).call("id")`, `BasicObject.instance_method(:__send__).bind_call(Kernel,:system,"id")`,
	`BasicObject.instance_method(:__send__).bind_call(Kernel,:exec,"id")`, `Module.instance_method(:instance_method).bind_call(Kernel,:system).bind_call(nil,"id")`,
	`[x for x in object.__subclasses__() if "wrap_close" in str(x)][0].__init__.__globals__["popen"]("id").read()`,
	`[x for x in object.__subclasses__() if "Popen" in str(x)][0]("id")`, `{c.__name__:c for c in object.__subclasses__()}["Popen"]("id")`,
	`exit.__init__.__globals__["sys"].modules["subprocess"].check_output("id")`,
	// attack 39's: Open3, Process and PTY handed to a block, or found by
	// const_get (each ran id in Ruby 3.1)
	`require "open3";p Open3.then{_1.capture2 "id"}`, `require "open3";p Open3.then{_1.capture2e "id"}`,
	`require "open3";p Open3.then{|o|o.capture2 "id"}`, `require "open3";Open3.tap{p _1.capture2 "id"}`,
	`require "open3";p Object.const_get(:Open3).capture2e("id")`, `require "open3";p Object.const_get(:Open3).then{_1.capture2("id")}`,
	`require "open3";Object.const_get(:Open3).pipeline_r("id"){|o,t|p o.read}`, `require "open3";p Object.const_get(:Open3).popen2("id")[1].read`,
	`require "open3";Open3.then{_1.pipeline "id"}`, `Process.then{_1.wait _1.spawn "id"}`, `Process.tap{_1.wait _1.spawn("id")}`,
	`require "pty";PTY.then{_1.spawn("id"){|r,w,i|p r.gets}}`, `Kernel.const_get(:Open3).capture2("id")`,
	`Open3.yield_self do |o| o.pipeline_start("id") end`, `IO.then{_1.popen("id").read}`, `Object.const_get(:PTY).getpty("id")`,
	// attack 40's: Open3, Process and PTY disguised as Kernel was, or
	// taken as a value
	"[Open3].each{puts _1.capture2 \"id\"}", `[Open3].map{|o|puts o.capture2("id")}`, `o=Open3; puts o.capture2("id")`, `m=Open3;puts m.capture2 "id"`,
	`puts ObjectSpace.each_object(Module).find{_1.name=="Open3"}.capture2("id")`, `puts Open3.freeze.capture2("id")`, `puts Open3.itself.capture2 "id"`,
	`puts Open3.itself.itself.capture2("id")`, `puts [Open3].first.capture2 "id"`, `puts [Open3][0].capture3("id")`, `puts Open3.dup.capture2 "id"`,
	`puts Open3.clone.capture2e("id")`, `Open3.itself.popen3("id"){|i,o,e,t|puts o.read}`, `Open3.itself.pipeline_r("id"){|o,t|puts o.read}`,
	`[Open3].each{|o|o.pipeline "id"}`, `puts((Open3).capture2("id"))`, `puts (Open3).capture2 "id"`,
	`puts Open3.to_s.then{Object.const_get _1}.capture2("id")`, `Process.wait [Process].first.spawn("id")`, `x=Process; Process.wait x.spawn("id")`,
	`Process.wait Process.dup.spawn("id")`, `r,w,p=PTY.dup.spawn("id"); puts r.gets`, `r,w,p=[PTY][0].spawn("id"); puts r.gets`,
	`t=PTY; r,w,p=t.spawn("id"); puts r.gets`,
	// attack 41's: a heredoc without brackets, the module as a hash's
	// value or key, as an expression's or a block's value
	"Open3.capture2 <<E\nid\nE", "Open3.capture2 <<-E\nid\nE", "Open3.capture2 <<~E.chomp\nid\nE", "Open3.capture2 <<'E'\nid\nE",
	"Open3.capture2e <<~X\n  id\nX", "Process.spawn <<E\nid\nE", "Process.spawn <<~E\n  id\nE", "PTY.spawn(<<E){|r,w,p| $stdout.write r.readpartial(99)}\nid\nE",
	`{a: Open3}[:a].capture2("id")`, `{o: Open3}.values[0].capture2 "id"`, `{o: Open3}.values.first.capture2("id")`, `{o: Process}[:o].spawn("id")`,
	`{"k"=>PTY}["k"].spawn("id"){|r,w,p| $stdout.write r.readpartial(99)}`, `Hash[o: Open3][:o].capture2("id")`, `{a: Open3}.dig(:a).capture2("id")`,
	`{Open3 => 1}.keys[0].capture2("id")`, `{Open3=>0}.first[0].capture2("id")`, `{a: Open3}.map{|k,v| v.capture2 "id"}`,
	`(true ? Open3 : nil).capture2("id")`, `(1 ? PTY : 0).spawn("id"){|r,w,p| $stdout.write r.readpartial(99)}`, `begin Open3 end.capture2("id")`,
	`begin Process end.spawn("id")`, `Object.new.then{Open3}.capture2("id")`, `Object.new.instance_eval{Open3}.capture2("id")`,
	`OpenStruct.new(o: Open3).o.capture2("id")`,
	// attack 42's: rightward assignment, begin; ...; end, break values,
	// Open3 included, backtick heredocs
	`Open3 => m; m.capture2("id")`, `Process => m; m.spawn("id")`, `PTY => m; m.spawn("id")`, `begin; Open3; end.capture2("id")`,
	`begin; Process; end.spawn("id")`, "begin\nPTY\nend.spawn(\"id\")", `loop { break Open3 }.capture2("id")`, `loop { break Process }.spawn("id")`,
	`loop { break PTY }.spawn "id"`, `(while true do break Open3 end).capture2("id")`, `include Open3; capture2("id")`, `extend Open3; capture2 "id"`,
	"include Open3\ncapture2e \"id\"", "x = <<`E`\nid\nE", "y=<<~`E`\n  id\nE", "<<`E`\nid\nE", "[<<`E`]\nid\nE", "z = <<-`E`\nid\n  E",
	// attack 43's: pattern matching, include written otherwise
	`Open3 in m; m.capture2("id")`, `Open3 in m and m.capture2("id")`, `if Open3 in m then m.capture2("id") end`,
	`case Open3; in m then m.capture2("id") end`, "case Open3\nin m then m.capture2(\"id\")\nend", "Open3 in o\no.capture2 \"id\"",
	`Process in pr; pr.spawn("id")`, `Process in pr; pr.wait pr.spawn("id")`, `case PTY; in t then t.spawn("id"){|r,w,pid| puts r.gets} end`,
	`include(Open3); capture2("id")`, `include(Open3); capture2 "id"`, "include(Open3)\ncapture2(\"id\")", `include ::Open3; capture2("id")`,
	`extend(Open3); capture2("id")`, `extend ::Open3; capture2("id")`, `Object.include(Open3); capture2("id")`,
	`Object.send(:include, Open3); capture2("id")`, `Object.__send__(:include, Open3); capture2("id")`, `Object.public_send(:include, Open3); capture2("id")`,
	`Object.prepend Open3; capture2("id")`,
	// attack 44's: a receiver's command method with an argument that is
	// code, without brackets (bare system's readings); a parameter of a
	// method defined without brackets
	`Open3.capture2 c="id"`, `Open3.capture2 105.chr+100.chr`, `Open3.capture2 :id.to_s`, `Open3.capture2 String.new("id")`,
	`Open3.capture2 Array("id")[0]`, `c = "id"; Open3.capture2 c`, `C = "id"; Open3.capture2 C`, `@c = "id"; Open3.capture2 @c`,
	`$c = "id"; Open3.capture2 $c`, `["id"].each{|c| p Open3.capture2 c}`, `Open3.capture2 -> { "id" }.call`, `Open3.capture2 105.chr<<100.chr`,
	`PTY.spawn c="id"`, `Open3.popen3 c="id" do |i,o,e,t| puts o.read end`, `Open3.capture2 c ="id"`, `Open3.capture2 x=(y="id")`,
	`c="id"; Process.spawn c`, `Process.spawn c="id"`, `c="id"; Process.spawn(c)`, `c="id"; Kernel.system c`, `p IO.popen c="id"`,
	`def r c; system c end; r "id"`, `c="id"; Open3.pipeline c`, `Kernel.system c="id"`, `c = "id"; x = Open3.capture2e c`,
	// attack 44's: include of an expression that is Open3, blocks padded
	// past a window of 256 bytes (128 for const_get's bracket), a ) in a
	// string in const_get's bracket, a ?" before the call, a symbol's
	// block, RubyGems' runners
	`include(*[Open3]); capture2("id")`, `include *[Open3]; capture2("id")`, `include [Open3].first; capture2("id")`,
	`extend(*[Open3]); capture2("id")`, `extend [Open3][0]; capture2("id")`, `Object.include(*[Open3]); capture2("id")`,
	`Object.send(:include, *[Open3]); capture2("id")`, `Object.__send__(:include, [Open3][0]); capture2("id")`,
	`m = Open3; include m; capture2("id")`, `include m = Open3; capture2("id")`, `include Object.const_get(:Open3); capture2("id")`,
	`extend Object.const_get(:Open3); capture2("id")`, `extend Object.const_get("Open" + "3"); capture2("id")`,
	`extend(Object.const_get :Open3); capture2 "id"`, `include Kernel.const_get(:Open3); capture2("id")`,
	`include Module.const_get(:Open3); capture2("id")`, `include self.class.const_get(:Open3); capture2("id")`,
	`include ObjectSpace.each_object(Module).find { _1.name == "Open3" }; capture2("id")`,
	"Kernel.then{" + strings.Repeat(" ", 300) + "_1.system \"id\" }", "Kernel.then{ x = 1 # " + strings.Repeat("a", 280) + "\n _1.system \"id\" }",
	"Open3.then{" + strings.Repeat(" ", 300) + "_1.capture2 \"id\" }", "Open3.then{ x = 1 # " + strings.Repeat("a", 280) + "\n _1.capture2(\"id\") }",
	"Object.const_get(:Open3 # " + strings.Repeat("a", 280) + "\n).capture2(\"id\")", "Kernel.tap{ " + strings.Repeat("x=1;", 72) + " _1.system \"id\" }",
	"Open3.to_s.then{" + strings.Repeat(" ", 300) + "Object.const_get _1}.capture2(\"id\")",
	`Object.const_get("Ker"+")"[1..].to_s+"nel").system "id"`, `Object.const_get(["Open3", ")"].first).capture2("id")`,
	`Kernel.then{ ?" ; _1.system "id" }`, `Open3.then(&:itself).capture2("id")`, `Gem::Util.silent_system("id")`, `p Gem::Util.popen("id")`,
	// attacks 42's and 43's open items: Open3's send of a name made at
	// run time, a backtick command in brackets
	`[:capture2].each{p Open3.send(_1,"id")}`, `m = "capture" + "2"; p Open3.public_send(m, "id")`, "x = (`id`); p x", "p(`id`)",
	"puts [`id`].first", "x = [`id`]; p x", "x = (`id` + \"x\"); p x", "def f; return [`id`]; end; p f", "puts(`id`)",
	// attack 34's open item: Python's command function as a value where
	// the application imported os itself
	`[os.system][0]("id")`, `list(map(os.system,["id"]))`, `f = os.system; f("id")`, "f = os.system\nf(\"id\")",
	`{"a": os.system}["a"]("id")`, `(lambda f: f("id"))(os.system)`, `[subprocess.getoutput][0]("id")`,
	`print(*map(subprocess.getoutput,["id"]))`, `next(iter([os.system]))("id")`,
	// attack 45's: an argument without brackets that is code (sprintf,
	// String, begin...end, quoted symbols, brackets), send(:itself),
	// eval strings naming Open3's methods, a constant made by
	// module_eval, Fiddle, Gem::Ext::Builder, Rake
	`Open3.capture2 (true ? "id" : 0)`, `Open3.capture2 ::Kernel.format("id")`, `Open3.capture2 sprintf "id"`, `Open3.capture2 String "id"`,
	`Open3.capture2 begin "id" end`, `Open3.capture2 defined?(zz) ? 1 : "id"`, `Open3.capture2 :"id".to_s`,
	`Open3.instance_eval "capture2 'id'"`, `Open3.send(:itself).capture2 "id"`, `Object.module_eval("Op"+"en3").capture2("id")`,
	`require "fiddle"; Fiddle::Function.new(Fiddle::Handle::DEFAULT["sys"+"tem"],[Fiddle::TYPE_VOIDP],Fiddle::TYPE_INT).call("id")`,
	`require "rubygems/ext"; r=[]; Gem::Ext::Builder.run(["id"], r, "x"); puts r`, `Process.spawn ::Kernel.format("id")`, `system :"id".to_s`,
	`system sprintf "id"`, `system String "id"`, `system begin "id" end`, `system ::Kernel.format("id")`, `Kernel.system begin "id" end`,
	`Kernel.system sprintf("id")`, `Open3.capture2 (("id"))`, `Open3.capture2 __method__.to_s + "id"`, `Open3.capture2 (x = "id")`,
	`Open3.capture2 :"i#{}d".to_s`, `Open3.capture2 :'id'.to_s`, `Open3.send(:then){_1}.capture2 "id"`,
	`Open3.public_send(:itself).capture2 "id"`, `Open3.__send__(:itself).capture2 "id"`, `Open3.send(:freeze).capture2 "id"`,
	`Open3.method(:itself).call.capture2 "id"`, `Open3.instance_eval("capture2 'id'")`, `Open3.module_eval "capture2 'id'"`,
	`Open3.class_eval %q(pipeline "id")`, `Open3.instance_eval("pipe"+"line 'id'")`, `Object.class_eval("Op"+"en3").capture2("id")`,
	`Object.instance_eval("Op"+"en3").capture2 "id"`, `Object.module_eval("Op"+"en3").pipeline "id"`,
	`Object.module_eval("Pro"+"cess").spawn("id")`, `Open3.then(&:itself).capture2 sprintf("id")`, `include Open3; capture2 sprintf("id")`,
	`include Open3; capture2 begin "id" end`, `include Open3; pipeline begin "id" end`, "include Open3\npipeline String(\"id\")",
	`extend Open3; capture2 :"id".to_s`, `Object.const_get(:Open3).capture2 begin "id" end`,
	`Object.const_get(:Open3).capture2 sprintf("id")`, `Object.const_get("Pro"+"cess").spawn sprintf("id")`,
	`[Open3].first.capture2 sprintf("id")`, `o = Open3; o.capture2 sprintf("id")`, `o = Open3; o.instance_eval "capture2 'id'"`,
	`Process.spawn begin "id" end`, `Process.spawn :"id".to_s`, `Process.spawn sprintf("id")`, `Process.send(:itself).spawn "id"`,
	`require "rake"; Rake.sh("id")`, `Process.public_send(:itself).exec "id"`, `PTY.send(:itself).spawn("id"){|r,w,p| puts r.gets}`,
	`IO.popen begin "id" end, &:read`, `IO.popen sprintf("id"), &:read`, `Gem::Util.popen sprintf("id")`, `Open3.capture2 @c = "id"`,
	`Open3.capture2 $c = "id"`, `Open3.capture2 ({x: "id"})[:x]`, `Object.module_eval("PT"+"Y").spawn("id"){|r,w,p| puts r.gets}`,
	// attack 46's: Kernel, Open3 or Process reached by introspection or
	// made from a string, then .system "id" on it; send, method and
	// instance_method of a name changed at run time; URI.open and send
	// of :open with a pipe; Python's webbrowser and distutils runners
	`Object.ancestors[1].system "id"`, `Object.ancestors[-2].system "id"`, `Object.ancestors[1].exec "id"`,
	`Object.included_modules[0].system "id"`, `Object.included_modules.first.spawn "id"`, `self.class.ancestors[1].system "id"`,
	`1.class.ancestors.find{_1.to_s=="Ker"+"nel"}.system "id"`, `method(:puts).owner.system "id"`, `method(:p).owner.exec "id"`,
	`method(:p).unbind.owner.system "id"`, `Marshal.load("\x04\bm\vKer"+"nel").system "id"`,
	`Psych.unsafe_load("--- !ruby/module 'Ker"+"nel'").system "id"`, `puts Marshal.load("\x04\bm\nOp"+"en3").capture2 "id"`,
	`puts Marshal.load("\x04\bm\nOp"+"en3").capture2("id")[0]`, `send "SYSTEM".downcase, "id"`, `send :systel.succ, "id"`,
	`__send__ "systel".succ, "id"`, `send "xsystem"[1..], "id"`, `puts send(96.chr, "id")`, `puts send(:"\x60", "id")`,
	`puts method(96.chr).call "id"`, `puts Object.instance_method(96.chr).bind_call(self, "id")`,
	`Object.instance_method("SYSTEM".downcase).bind_call(self, "id")`, `Object.instance_method("sys"<<"tem").bind_call(self, "id")`,
	`Object.instance_method(:systel.succ).bind_call(self, "id")`, `Object.new.method(:systel.succ).call "id"`,
	`m=Object.instance_method(:systel.succ); m.bind(self).("id")`, `define_method(:x, Object.instance_method(:systel.succ)); x "id"`,
	`Class.new{define_method(:r){|c| send(:systel.succ, c)}}.new.r "id"`,
	`Class.new{def method_missing(n,*a)=Object.ancestors[1].send(n,*a)}.new.system "id"`, `puts IO.send("POPEN".downcase, "id").read`,
	`Process.send("SPAWN".downcase, "id"); Process.wait`, `Process.ancestors.first.spawn "id"; Process.wait`,
	`puts Gem::Util.send("POPEN".downcase, "id")`, `puts URI.open("|"+"id").read`, `p URI.open(124.chr+"id").read`,
	`puts URI.send(:open, "|" "id").read`, `puts Object.new.send(:open, 124.chr+"id").read`, `trap("EXIT"){Object.ancestors[1].system "id"}`,
	`at_exit{Object.ancestors[1].system "id"}`,
	`import webbrowser;webbrowser.GenericBrowser(["id"]).open("x")`, `import webbrowser;webbrowser.BackgroundBrowser(["id"]).open("x")`, `import webbrowser as w;w.GenericBrowser(["sh","-c","id"]).open("")`,
	`import distutils.spawn;distutils.spawn.spawn(["id"])`,
	`Object.included_modules.last.system "id"`,
	// attack 47's: send and method of a name hidden in a number's digits
	// (to_s(36)), bytes, hex, %q literals, formats, joined arrays, \u{};
	// eval strings joined from %q and character literals; ctypes
	// subscripted for a C command function
	`send(1751504350.to_s(36),"id")`, `1.send(1751504350.to_s(36),"id")`, `"".send(1751504350.to_s(36),"id")`,
	`Object.new.send(1751504350.to_s(36),"id")`, `__send__(1751504350.to_s(36),"id")`, `method(1751504350.to_s(36)).call("id")`,
	`method(1751504350.to_s(36)).("id")`, `Object.new.method(1751504350.to_s(36)).call "id"`, `send(1751504350.to_s(36), *["id"])`,
	`send 1751504350.to_s(36), "id"`, `n=1751504350.to_s(36); send(n,"id")`, `send([115,121,115,116,101,109].pack("U*"),"id")`,
	`send(["sys","tem"]*"","id")`, `send("%stem"%"sys","id")`, `send(["73797374656d"].pack("H*"),"id")`, `send(%[system],"id")`,
	`send(%q[system],"id")`, `send(0x73797374656d.to_s(16).then{[_1].pack("H*")},"id")`, `send(Integer("1751504350").to_s(36),"id")`,
	`1.send(*[1751504350.to_s(36),"id"])`, `self.method(1751504350.to_s(36)).call("id")`, `send(1751504350.to_s(36).to_sym,"id")`,
	`[1751504350.to_s(36)].each{send(_1,"id")}`, `[1751504350].each{send(_1.to_s(36),"id")}`, `send(%q[exec],"id")`,
	`send(%q[spawn],"id");Process.wait`, "puts send(%q[`],\"id\")", `puts send([96].pack("U"),"id")`, `instance_eval(%q{sys}+%q{tem "id"})`,
	`Object.ancestors[1].send(1751504350.to_s(36),"id")`, `__send__ %q(system), "id"`, `send :"#{:sys}tem", "id"`,
	`send "sys%s" % "tem", "id"`, `send "sys".+("tem"), "id"`, `send "sys" "tem", "id"`, `send("s".+("ystem"), "id")`,
	`send("sy\u{73}tem", "id")`, `send(?s+"ystem", "id")`, `send(?s.+(?y)+"stem", "id")`, `send "sys"+"tem", "id"`,
	`method(%q[system]).call "id"`, `method(?s+"ystem").("id")`, `instance_eval(%q{sys}+%q{tem 'id'})`,
	`class_eval(%q{sys}+%q{tem 'id'}) rescue Object.class_eval(%q{sys}+%q{tem 'id'})`, `Object.class_eval(%q{sys}+%q{tem 'id'})`,
	"instance_eval(?`+\"id\"+?`).display", `import ctypes; ctypes.CDLL(None)["system"](b"id")`,
	`import ctypes; ctypes.CDLL("libc.so.6")["sys"+"tem"](b"id")`, `import ctypes; ctypes.cdll["libc.so.6"]["system"](b"id")`,
	`from ctypes import CDLL; CDLL(None)["system"](b"id")`, `import ctypes; ctypes.CDLL(None).__getitem__("sys"+"tem")(b"id")`,
	`import ctypes; l=ctypes.CDLL(None); f=l["execlp"]; f(b"id",b"id",None)`,
	// attack 49's: eval strings with escapes, %x delimited by a space or
	// a tab
	`binding.eval "\x73ystem 'id'"`, `eval "\163ystem 'id'"`, `instance_eval "\x73ystem 'id'"`, `eval "sys\x74em 'id'"`,
	`p eval "\x60id\x60"`, `instance_eval("\x60id\x60").display`, `Object.module_eval "\x73ystem 'id'"`, `Object.module_eval "\x73ystem %q(id)"`,
	`p eval "\u{60}id\u{60}"`, `p eval "\x25x(id)"`, "puts %x id ", "p %x id ", "x = %x id ; puts x", "puts %x id ;", "print %x id ", "puts %x\tid\t",
	// attack 50's: globals and instance variables interpolated, a line
	// continued in a string, %x with a space delimiter where a value
	// starts, Python's timeit, cProfile, profile and code running a string
	`eval "sy#$;stem 'id'"`, `eval "sy#$,stem 'id'"`, `eval "sy#@x#{}stem 'id'"`, `instance_eval "sy#$;stem 'id'"`, `eval "Kernel.sy#$;stem 'id'"`,
	`send "sy#$;stem", "id"`, "eval \"sys\\\ntem 'id'\"", "eval \"sys\\\r\ntem 'id'\"", "instance_eval \"sys\\\ntem 'id'\"", "send \"sys\\\ntem\", \"id\"",
	"method(:\"sys\\\ntem\").call \"id\"", "eval \"Open3.capt\\\nure2('id')[0].then{puts _1}\"", "[%x id ].each{puts _1}", "puts [%x id ]",
	"x = [%x id ];puts x", "{a: %x id }.each{puts _2}", "puts({a: %x id })", "puts(*%x id )", "[1].map{%x id }.each{puts _1}", "puts(1 ? %x id : 2)",
	`import timeit;timeit.timeit("import o""s;o""s.sys""tem('id')",number=1)`, `import timeit;timeit.timeit("import o"+"s;o"+"s.sys"+"tem('id')",number=1)`,
	`import timeit;timeit.Timer("import o""s;o""s.sys""tem('id')").timeit(1)`, `import cProfile;cProfile.run("import o""s;o""s.sys""tem('id')")`,
	`import profile;profile.run("import o""s;o""s.sys""tem('id')")`, `import code;code.InteractiveInterpreter().runsource("import o""s;o""s.sys""tem('id')")`,
	// attack 50's open items: several code points in one \u{}, %x with a
	// space delimiter after an IO's writing method or <<
	`eval "\u{73 79 73 74 65 6d} 'id'"`, `eval "\u{73 79 73}tem 'id'"`, `send("\u{73 79 73 74 65 6d}", "id")`, `instance_eval "\u{73  79}\u{73 74 65 6d} 'id'"`,
	"$stdout.write %x id ", "$stdout << %x id ", "STDOUT.print %x id ", "$stderr.puts %x id ;", "STDOUT.syswrite %x\tid\t", "io = $stdout; io << %x id ",
}

// codeCallBenign are near-misses: sends of other methods, prose, formats,
// imports of harmless modules, an @mention.
var codeCallBenign = []string{
	// attack 63's: Erlang's and Elixir's spawn
	"spawn(fun() -> loop() end)", "Pid = spawn(?MODULE, loop, [])", "Pid = spawn(fun loop/0)", "spawn(fun() -> server:start() end).",
	`pid = spawn(fn -> IO.puts("hi") end)`, "spawn(Mod, Fun, Args)", "Erlang: Pid = spawn(echo, loop, []), Pid ! {self(), hello}.",
	// attack 60's: R's operators named in backticks
	"Map(`+`, 1:3, 4:6)", "Reduce(`+`, 1:5)", "sapply(x, `%in%`, y)", "do.call(`[`, list(x, 1))",
	// near attack 36's: prose about popen, a method list's search not
	// sent
	`use IO.popen with a block`, `File.popen is how Ruby reads a pipe`, `obj.methods.grep(/foo/)`, `send(:welcome, methods_count)`,
	`print(object.__subclasses__())`, `method.bind(obj).call(:name)`, `UnboundMethod#bind(Kernel) docs`, `sys.modules["json"]`,
	`call File.popen instead`, `see IO.popen docs`, `File.open("|notes.txt")`, `send("#{attr}=", value)`,
	`send("eman".reverse)`, `IO.popen 3 times`, `%i[a b][0]`, `x = methods.size; send x`,
	`Object.const_get(name).new(x)`, `Module.const_get("Foo::Bar").system_name`, `const_get(klass).send_mail`, `the exec ARGV[0] of a shell`,
	`system ENV["C"] and more`, `operating system [beta] 2`,
	// near attack 29's: a capitalised title after spawn/exec/system
	// (its false positive: spawn "Shadow", a game), prose after the
	// string, a sentence's full stop, the system's, eval of arithmetic,
	// %x in prose, getattr as a value with no command's name, vars then
	// another name
	`spawn "Shadow"`, `exec "Summary Report"`, `system "Linux" or "Unix"`, `system "requirements" for windows 11`, `exec "summary".`,
	`system's "clock" is off`, `eval "1 + 2"`, `instance_eval "x" + "y"`, `rate 10 %x(5)`, `the %x(id) format`, `map(getattr, objs, ["name"])`,
	"import os\nvars(os).get(\"environ\")", `send :welcome, user`, `method("to_" + "s")`, " https://example.com/10.0.0.1",
	// near attack 30's: prose with the same words
	`true and system "id" is how you'd write it`, `I use vim and not system "defaults" anymore`, `spawn "shadow" boss fight guide`,
	`system "id" vs user "id" in the schema`, `send *args to the handler`, `os.system.__call__ is just a callable`,
	`begin system "upgrade" end of year sale`, `import pickle; pickle.loads(data)`, `the cos\nsystem of equations`,
	"import ctypes\ngetattr(ctypes.CDLL(None), \"printf\")", `He said "Hello" or 1`,
	// near attack 31's: words after system that are no binding
	`system update`, `exec summary`, `spawn point`, `system Windows.old`, `spawn (pokemon go)`, `send it, please`, `m = 1; send m, x`,
	`import inspect; inspect.getmembers(obj)`, `os.system: runs a command`,
	// near attack 32's: prose about alias and eval; a command module's
	// call in a Python comment (its false positive)
	`alias for the system command`, `use alias_method for that`, `eval "x".length is cheap`, "import subprocess\n# we stopped using subprocess.run('make') in CI",
	`system proc filesystem`, `I'd say "ok" => done`,
	// near attack 33's: prose with two quoted names, Open3 and RubyVM named
	`exec "summary" and system "overview" attached`, `Open3.capture2 docs`, `RubyVM::InstructionSequence.compile docs`, `ObjectSpace.each_object is slow`,
	`model eval [accuracy 0.91]`, `IO.read(path)`, `IO.readlines("config/app.yml")`,
	`mailer.send(:welcome)`, `obj.send("system_status")`, `please send 'exec' the report`, `UserMailer.send(:deliver)`,
	`the Kernel.system docs`, `PTY.spawn docs`, `the PTY module`,
	`rate 10%x/5 per year`, `use %x or %X`, `50%x off`, `%x`, `a %x b`, `the 20%x^2 term`,
	// near attack 50's open items: prose with %x after a dotted word or
	// <<, \u{} of non-ASCII code points
	`see file.write %x docs`, `1 << %x`, `eval "\u{e9 e8}"`, `send("\u{263a}", x)`,
	`__import__("json").dumps(x)`, `importlib.import_module("myapp.views")`, `__import__("osmosis")`, `__import__`,
	`see asyncio's create_subprocess_shell docs`, "thanks @system\nfor the fix", "@system is down\nagain",
	"@decorator\ndef f(): pass", `import os`, `name = "os"`,
	// near attack 23's: a list of mentions (its false positive), Ruby's
	// symbols and blocks of other methods, Open3 in prose, a decorator of
	// another module, an alias of a harmless function, prose about
	// __import__
	"cc:\n@system\n@ops-team", "@system\n@popen\nthanks all", `:name.to_proc`, `[1,2].map(&:to_s)`, `method(:welcome).call`,
	`the method "system" is documented`, `Kernel.then docs`, `Open3 docs`, `Open3.capture2 is blocking`,
	"from functools import cache as c\n@c\ndef total(): pass", "from os import path as p\n@p\ndef f(): pass",
	`what does (__import__) return?`, `loop.subprocess_shell is an API`, `"subprocess_exec" in docs`,
	// near attack 24's: a list of mentions before a line that starts
	// with "class" (its false positive), decorators that name a command
	// in a string, after another name's dot, as a keyword
	"Team:\n@exec\n@ops\nclass of 2024 reunion", "@app.route(\"/system\")\ndef system_page(): pass",
	"@mock.patch(\"os.system\")\ndef test_x(m): pass", "@pytest.mark.system\ndef test_y(): pass", "@retry(exec=3)\ndef job(): pass",
	`Kernel.itself is Kernel`, `__import__(r"json")`, `method_missing(:system)`, `public_methods(:system)`,
	// attack 25's false positives: a property, a Click group and a
	// singledispatch function named like a command; near-misses
	"@system.command()\ndef status():\n    pass", "@exec.register\ndef _(x): pass", "@mock.patch.object(os, \"system\")\ndef test_z(m): pass",
	`obj.send(:"welcome")`, `x.send(%s(deliver))`, `the Process.spawn docs`, `pty.spawn is documented`, `Kernel&.then`,
	"import importlib\nm = importlib.import_module('json')",
	// near attack 26's: Kernel in prose and brackets, methods of it
	// that are no command, a bracketed decorator of another function
	`(Kernel) is a module`, `[Kernel].first is Kernel`, `Kernel.freeze.frozen?`, `Kernel.dup.methods`, `Object.const_get(:Kernel).name`,
	"@(\n  cache\n)\ndef total(): pass", "@retry(\n  tries=3,\n)\ndef system_job(): pass", "@app.get(\n \"/system\"\n)\ndef status(): pass",
	`__import__("json").loads(s)`, `subprocess.run() is documented`, `app.run("0.0.0.0")`, `mock.call("x")`,
	`see os.path.join("a", "b")`, `nt.call me (later)`, "import os\np = os.path\n@p\ndef f(): pass", "s = system_status\n@s\ndef f(): pass",
	"from os import system\nx = system == 1\n@x\ndef f(): pass",
	// near attack 27's: blocks on Kernel without a command (its false
	// positives), system and exec in prose before a quote, Kernel's send
	// of a plain name, getattr of another module
	`Kernel.then { |k| k.puts "hi" }`, `Kernel.tap { |k| p k.class }`, `Kernel.instance_eval { puts 1 }`, `the system "Linux" is fine`,
	`our exec "Jane" said`, `k = Kernel`,
	`the operating system 'Plan 9' (1992)`,
	// attack 28's false positives: system, spawn and exec in prose
	// before a quoted word, a command's name in a string in a block
	`system "requirements" for windows 11`, "Hi team,\nsystem \"maintenance\" is scheduled for Sunday",
	`spawn "zombie" command not working on my server`, `exec "summary" report`, `exec "CEO" meeting notes`,
	`Ubuntu: system "hangs" on boot; spawn "errors" in log`, `Kernel.tap { puts "system ready" }`, `Kernel.then { |k| k.puts "run the exec summary" }`,
	`the system check`, "system status", `Process.then { _1.pid }`, `Open3.tap { puts "capture2 is blocking" }`, `PTY.then docs`,
	`Object.const_get(:Open3).name`, `IO.then { |io| io.sync }`, `[Process].each { |p| p.pid }`, `x = Open3; x.name`,
	`Open3.name.length`, `(PTY) is a pseudo-terminal`, `the Process.dup docs`, `puts Open3.to_s.then { _1.upcase }`, `PTY.itself is PTY`,
	`include Open3 docs`, `Open3 in the docs`, `Process in place`, `the case Process; we include(Open3) later`, "x = <<E\nid\nE", `Open3 => the module`, `break Process`, `Step 2: Process the data`, `{a: Process.pid}`, `x = y ? Process.pid : 0`, `begin Process.pid end`, "Open3.capture2 << 2 is no heredoc", `Open3.capture2 docs`, `use Open3.capture2 instead of backticks`,
	`Open3.capture2 returns stdout and status`, `Kernel.system is what runs a shell`, `PTY.spawn docs say it needs a tty`,
	`Process.spawn returns a pid, wait for it with Process.wait`, `IO.popen is the way to pipe to a command`, `Process.spawn Windows style`,
	`Kernel.system String theory`, `Open3.capture2 Array of args`, `Process.spawn 2 children`, `PTY.spawn -> see the docs`,
	`Open3.capture2 e.g. with a block`, `Kernel.tap { puts "note: system ready" }`, `Kernel.tap { puts "the end. system ready" }`,
	`Object.const_get(name).new(x).save`, `Object.const_get(:Foo).name; x = 1`, `Object.const_get(cls).instance_method(:run)`,
	`include Open3 then call capture2 later`, `we include a pipeline "deploy" step`, `Gem::Util docs`, "a flag (`--force`) that", "the user id (`id`) column", "values: [`a`, `b`]", "Open3.name", `use subprocess.run, not os.system.`, `Open3.capture2 (see the docs) is blocking`, `Open3.popen3 (deprecated) too`,
	`Open3.capture2 @work is fine`, `does Open3.capture2 block?`, `Process.spawn & friends`, `Open3.capture2 - the docs`, "Use [`Open3.capture3`](https://ruby-doc.org/stdlib/libdoc/open3/rdoc/Open3.html) to read both streams.",
	"See [`Process.spawn`](https://docs.ruby-lang.org/en/3.3/Process.html#method-c-spawn) for options.", "Call `Open3.capture2` or `PTY.spawn` as needed.",
	"Prefer `Open3.capture2e` over backticks.", `send("eman".reverse)`, `send("#{attr}=", value)`, `obj.send(:save)`, `method(name.to_sym)`,
	`webbrowser.open("https://example.com")`, "(Kernel.system", `"os.system(" python`, `os.system( vs subprocess`, `"subprocess.call(" example`, `python subprocess.check_output( not working`,
	"the %x format string", `timeit.timeit("sorted(x)", number=100)`, `cProfile.run("main()")`, `255.to_s(2)`, `color = 16711680.to_s(16)`, `puts [72, 101, 108, 108, 111].pack("c*")`,
	`send(["get","name"]*"_")`, `send("%s_path" % "user")`, "x.capture2", "o = Open3; o.capture2", `the GenericBrowser class`, `os.system, os.popen and subprocess are the options`, `how do I call Process.spawn with env vars?`, `def run c; puts c end`, `def spawn_worker n; end`, `Why? Process later`, "from subprocess import run\n# run() later", "from mylib import call\ncall('x')",
	"from os import path\npath.join('a')", "import sys; import json as j\n@j.loads\ndef f(): pass",
}

func TestCodeCall(t *testing.T) {
	for _, s := range codeCallAttacks {
		if !codeCall(s) {
			t.Errorf("210118 misses %q", s)
		}
	}
	// aliases imported in brackets over lines, __import__ joined by +
	// (the CRS alone refuses these through Caddy, so they are not in
	// codeCallAttacks)
	for _, s := range []string{"from os import (\n  system as s,\n)\n@s\n@lambda c:c.__name__\nclass id:pass",
		`getattr(__builtins__, "__imp"+"ort__")("subprocess").getoutput("id")`} {
		if !codeCall(s) {
			t.Errorf("210118 misses %q", s)
		}
	}
	// (the CRS alone, or 210116, refuses these through Caddy)
	for _, s := range []string{"from flask import app as a\n@a.route('/')\ndef index(): pass",
		"class Node:\n @property\n def system(self): ...\n @system.setter\n def system(self, value): ...",
		`importlib.import_module("glob").glob("*.txt")`, `getattr(obj, "system")`, `Kernel.send(:puts, "x")`, `Kernel.method(:print).call "x"`, `import os;getattr(os, "environ")`, "import subprocess as sp\nsp.run() is the API",
		`bytes([104, 105]).decode()`, `import ctypes; lib = ctypes.CDLL("libm.so.6"); lib.cos(1.0)`} {
		if codeCall(s) {
			t.Errorf("210118 matches the benign %q", s)
		}
	}
	for _, s := range codeCallBenign {
		if codeCall(s) {
			t.Errorf("210118 matches the benign %q", s)
		}
	}
	// a value without the fixed words costs byte scans, no allocation
	for _, s := range []string{"plain text", strings.Repeat("a(b) ", 1000), "50%x off", `__import__("json")`, "x = %x(%d", strings.Repeat("%x(", 1000), "Kernel.then{ _1.puts 1 } const_get(x).dup include Open3",
		"from flask import app as a\n@a.route('/')\ndef index(): pass", "cc:\n@system\n@ops-team", strings.Repeat("x.to_proc method(:x) ", 100),
		// the imports read once for the getattr, the import and the decorator
		"import os as o, json\nx = getattr(json, 'dumps')\n@o.path.exists\ndef f(): pass\nfrom os import path\npath('x')"} {
		if a := fewestAllocs(func() { codeCall(s) }); a != 0 {
			t.Errorf("%.40q: %v allocations", s, a)
		}
	}
}

// TestCodeCallBeyondTheCRS: rule 210118 refuses codeCallAttacks in the
// query and in JSON, where the CRS and 210116 let them through, and no
// near-miss.
func TestCodeCallBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var crsCatches, misses, benign []probe
	for _, s := range codeCallAttacks {
		p := []probe{{name: "query " + s, method: "GET", path: "/api/eval?code=" + url.QueryEscape(s)},
			{name: "JSON " + s, method: "POST", path: "/api/eval", contentType: "application/json", body: jsonString("code", s)}}
		if crsCatchesCode[s] {
			crsCatches = append(crsCatches, p...)
		} else {
			misses = append(misses, p...)
		}
	}
	for _, s := range codeCallBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/api/notes?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
	}
	runBeyondTheCRS(t, crsCatches, misses, benign)
}

// crsCatchesCode are codeCallAttacks the CRS alone refuses.
var crsCatchesCode = map[string]bool{`IO.then{_1.popen("id").read}`: true, `Kernel::exec(*%w[id])`: true, `__import__(name="os").system("id")`: true,
	`__import__("o" "s").system("id")`: true, `__import__(*("os",)).popen("id").read()`: true, `__import__('os.path').system('id')`: true,
	`importlib.import_module("glob").os.popen("id").read()`: true, "e = exec\n@e\n@lambda c:c.__doc__\nclass x:\n  'a=1'": true,
	"import subprocess as sp\nsp.call('id', shell=True)": true, "from os import posix_spawnp as ps\nps('/usr/bin/id', ['id'], {})": true,
	"from subprocess import (\n  run,\n)\nrun('id', shell=True)": true, "alias run `;run \"id\"": true,
	`@c = "id"; Open3.capture2 @c`: true, `c="id"; Process.spawn(c)`: true,
	`Kernel.then{ ?" ; _1.system "id" }`: true, `p Gem::Util.popen("id")`: true, "x = (`id` + \"x\"); p x": true}

// FuzzCodeCall: any value is read without a panic, and a match stays a
// match with text around it that does not end a line.
func FuzzCodeCall(f *testing.F) {
	for _, s := range append(append([]string{}, codeCallAttacks...), codeCallBenign...) {
		f.Add(s)
	}
	f.Add("Kernel.then{ puts 1 } Kernel.tap{ sys" + "tem 'id' }")
	f.Add(strings.Repeat("Kernel.then{ ab ", 40) + "system")
	f.Fuzz(func(t *testing.T, v string) {
		_ = codeCall(v)
		_ = rubyCommandLiteral(v)
		_ = pythonImport(v, 0)
	})
}

// BenchmarkCodeCall: the operator on 64 KiB values built to make it read
// the most: each family's fixed word over and over, brackets that never
// close, %x that never closes. Its cost per byte is what a value can make
// rule 210118 spend (go test -bench CodeCall: tens of ns per byte at most).
func BenchmarkCodeCall(b *testing.B) {
	for _, c := range []struct{ name, unit string }{
		{"plain", "lorem ipsum dolor sit amet "},
		{"__import__(", "__import__([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["},
		{"%x(", "x=%x("},
		{"send", ".send(:"},
		{"Kernel", "Kernel.system "},
		{"create_", "create_subprocess_shell "},
		{"imported names", "from os import system as s, s(x) "},
		{"imported calls", "from os import system as s" + strings.Repeat(", s(x)", 40) + "\n"},
		{"bare commands", ";system x"},
		{"bare strings", `;system "ab" x ;system "Ab" or ;exec(`},
		{"getattr values", `,getattr "" 'x' `},
		{"evals", `eval "" "" "" "" `},
		{"const_get", "const_get(((("},
		{"namespaces", "vars(os) ) __dict__ "},
		{"splats", "getattr(*[os, *[ methodcaller(*[ "},
		{"statement words", `puts p puts system "Ab" x not system 1.5 :a `},
		{"pickles", `loads cos\x05posix\n\x94 `},
		{"ctypes", "getattr(ctypes.CDLL(((( "},
		{"one long word", "varsattrgettergetmembersmethodcaller"},
		{"reflection", "getattr(os, \"sy\" + vars(os)[\"s\" "},
		{"Kernel blocks", "Kernel.then{ puts "},
		{"Kernel values", "=Kernel [Kernel] .system "},
		{"module dots", "subprocess.runs os . popen2x "},
		{"Kernel chain", "[Kernel][0].itself.dup.freeze() "},
		{"decorator", "@system x\n"},
		{"decorator chain", "@system\n"},
		{"decorator over lines", "@(\n system [\n"},
		{"imports", "from os import system as s, popen as p\n@s\n"},
		{"to_proc", "x.to_proc "},
		{"to_sym", "\"systems\".to_sym.to_proc "},
		{"method", "method(:"},
		{"subprocess_", "x.subprocess_shell"},
		{"Open3", "Open3.capture2 "},
		{"__import__ quotes", "__import__\"]))"},
		{"sys.modules quotes", "sys.modules 'a' \"b\" "},
		{"send quoted symbols", ".send(:\"sys#{}"},
		// attack 44: each include read the value again (121 ms for 16 KB)
		{"include Open3", "include Open3 "},
		{"closers", "const_get(x).itself.dup.tap{}.then(&:x) "},
		{"self blocks", "Open3.then{x}.tap{y} Kernel.tap{ ?\" "},
		{"block calls", "Kernel.then{ _1.puts x; system_x. system y "},
		// attack 45's readings
		{"eval closers", `module_eval("x").dup.send(:itself).`},
		{"lax arguments", "Open3.capture2 returns Process.spawn (see docs) "},
		{"eval % literals", "instance_eval %q(abcdefgh "},
		// attack 47's readings: numbers in a base, byte lists, hex
		{"hidden names", `1751504351.to_s(36) [115,121,115,116,"74657374", `},
	} {
		v := strings.Repeat(c.unit, 64<<10/len(c.unit))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				codeCall(v)
			}
		})
	}
}
