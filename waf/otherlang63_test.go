package waf

import "testing"

// otherLangAttacks63 are attack 63's Groovy, Lua, R, Elixir and Erlang
// spellings that passed rule 210146 (Lua, Elixir and Erlang run here on
// lua5.4 and OTP 24 by the attack; Groovy and R read from the grammar).
var otherLangAttacks63 = []string{
	// Groovy: code evaluated from a string, a method pointer by a quoted name
	`Eval.me('"i"+"d"').execute()`, `evaluate("'id'.exe"+"cute()")`, `'id'.&"execute"()`,
	// Lua: escapes that spell a character by its code, long strings of a level
	`os.execute("\105d")`, `os.execute('\105\100')`, `os.execute('\x69\x64')`, `os.execute("\z  id")`, "os.execute[==[id]==]", "os.execute [=[id]=]",
	// R: the native pipe, an environment's subscript, a function handed on, = assignment
	`'id' |> system2()`, `baseenv()[["system"]]("id")`, `purrr::invoke(system, "id")`, `f = system; f("id")`, `assign("f", system); f("id")`,
	// Elixir and Erlang: os and cmd handed on as module and function, an
	// escape, literals side by side, a quoted module
	`:rpc.call(node(), :os, :cmd, ['id'])`, `Task.async(:os, :cmd, ['id'])`, `Function.capture(:os, :cmd, 1).('id')`,
	`:erlang.make_fun(:os, :cmd, 1).('id')`, `:os.cmd('\x69d')`, `:timer.apply_after(0, :os, :cmd, ['id'])`,
	`os:cmd("i" "d")`, "os:cmd(\"i\"\n\"d\")", `os:cmd("" "id")`, `os:cmd("\x{69}d")`, `os:cmd("\x{69}\x{64}")`, `rpc:call(node(), os, cmd, ["id"])`,
	`erpc:call(node(), os, cmd, ["id"])`, `erlang:spawn(os, cmd, ["id"])`, `proc_lib:spawn(os, cmd, ["id"])`, `timer:apply_after(0, os, cmd, ["id"])`,
	`(erlang:make_fun(os, cmd, 1))("id")`, `'os':cmd("id")`, `'os':'cmd'("id")`,
}

// otherLangBenign63 are attack 63's false positives of 210146 (an
// Elixir command function named in prose with an apostrophe elsewhere)
// and near-misses of the new readings.
var otherLangBenign63 = []string{"J'ai utilisé System.cmd et ça marche.", "Merci ! J'ai utilisé System.cmd et ça marche.", "System.cmd and it's fine",
	"It's System.cmd and it's fine", "It's easy: System.cmd it", "Don't use :os.cmd here", "I'd use System.shell there", "Don't use System.cmd here, use Port",
	"We can't call :os.cmd from the sandbox", "It's better to use System.shell only when needed", "Das ist's: System.cmd und fertig",
	"L'appel :os.cmd est bloquant", "C'est System.shell qui plante",
	"Tools: os, cmd, and bash", "evaluate('the plan')", "{'os':'linux', 'cmd':'none'}",
	`print("it's \"quoted\"")`, "f = system; it's set", `System.cmd("git", ["log"])`}

// otherLangCode63 are near-misses the CRS alone refuses: read by the
// operator only.
var otherLangCode63 = []string{"theme = system (it's the default)", "Use Eval.me('2+2') in a script"}

// TestOtherLangCommand63: rule 210146 refuses otherLangAttacks63 through
// a real Caddy, where the CRS alone passes them, and none of the
// near-misses.
func TestOtherLangCommand63(t *testing.T) {
	nearMisses(t, "210146", otherLangCommand, otherLangCode63)
	operatorTable(t, "210146", otherLangCommand, otherLangAttacks63, nil, otherLangBenign63)
}

func FuzzOtherLangCommand63(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "([{%-'\"e", otherLangAttacks63, otherLangBenign63, otherLangCode63)
}
