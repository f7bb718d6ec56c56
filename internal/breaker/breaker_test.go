package breaker

import (
	"testing"
	"time"
)

// clock is a fake monotonic clock in ns.
type clock struct{ ns int64 }

func (c *clock) now() int64              { return c.ns }
func (c *clock) advance(d time.Duration) { c.ns += int64(d) }

func config() Config {
	return Config{FailureRatio: 0.5, MinRequests: 20, Window: 30 * time.Second, OpenFor: 30 * time.Second,
		HalfOpenRequests: 3, MaxKeys: 100, MinClients: 3, ClientFailures: 2, TrialTimeout: 5 * time.Second}
}

// openWith opens key's circuit through failures of many clients.
func openWith(t *testing.T, b *Breaker, key string, clk *clock) {
	t.Helper()
	for i := range 40 {
		tk, _, ok := b.Admit(key, uint64(1000+i), clk.now())
		if !ok {
			break
		}
		b.Done(tk, clk.now(), true, "")
	}
	if b.State(key) != Open {
		t.Fatalf("the circuit did not open: %s", b.State(key))
	}
}

func TestHalfOpenLimitsTrials(t *testing.T) {
	clk := new(clock)
	cfg := config()
	cfg.HalfOpenRequests = 2
	b := New(cfg, nil)
	openWith(t, b, "k", clk)
	clk.advance(cfg.OpenFor)
	for i := range 2 {
		if tk, _, ok := b.Admit("k", uint64(i+1), clk.now()); !ok || !tk.Trial() {
			t.Fatalf("trial %d: ok=%v trial=%v", i+1, ok, tk.Trial())
		}
	}
	if _, retry, ok := b.Admit("k", 3, clk.now()); ok || retry != int64(time.Second) {
		t.Fatalf("a third request while two trials run: ok=%v retry=%v", ok, retry)
	}
}

// TestLateTrialsCountInTheirOwnRound: a trial admitted in one half-open
// round that finishes after the circuit opened and half-opened again
// tested nothing of the new round: it must neither close the circuit nor
// free a slot that is not its own.
func TestLateTrialsCountInTheirOwnRound(t *testing.T) {
	clk := new(clock)
	cfg := config()
	cfg.HalfOpenRequests, cfg.MinClients, cfg.TrialTimeout = 2, 1, time.Hour
	b := New(cfg, nil)
	openWith(t, b, "k", clk)
	clk.advance(cfg.OpenFor)
	slow, _, ok := b.Admit("k", 1, clk.now()) // round 1's slow trial, still running
	other, _, ok2 := b.Admit("k", 2, clk.now())
	if !ok || !ok2 || slow.round != other.round {
		t.Fatal("round 1's trials were not admitted")
	}
	// round 1's other trial fails: the circuit opens, then half-opens again
	b.Done(other, clk.now(), true, "")
	clk.advance(cfg.OpenFor)
	next, _, ok := b.Admit("k", 1, clk.now())
	if !ok || !next.Trial() || next.round == slow.round {
		t.Fatalf("round 2: ok=%v trial=%v round %d after %d", ok, next.Trial(), next.round, slow.round)
	}
	// round 1's late success arrives
	b.Done(slow, clk.now(), false, "")
	c := next.c
	if c.state != HalfOpen || c.successes != 0 || len(c.trials) != 1 {
		t.Fatalf("a late trial of an earlier round changed this one: state %s, successes %d, trials %d", c.state, c.successes, len(c.trials))
	}
	b.Abandon(slow)
	if len(c.trials) != 1 {
		t.Fatalf("abandoning a late trial freed a slot of this round: %d", len(c.trials))
	}
}

// TestTrialsCannotBeHeld: hanging trials time out and count as failed;
// one client's failing trial neither reopens the circuit nor keeps its
// slot; other clients' successes close it.
func TestTrialsCannotBeHeld(t *testing.T) {
	clk := new(clock)
	cfg := config()
	cfg.OpenFor, cfg.TrialTimeout = 10*time.Second, 2*time.Second
	b := New(cfg, nil)
	openWith(t, b, "k", clk)
	clk.advance(10 * time.Second)
	// hanging trials of one client: only one is admitted
	if _, _, ok := b.Admit("k", 666, clk.now()); !ok {
		t.Fatal("no trial admitted")
	}
	if _, _, ok := b.Admit("k", 666, clk.now()); ok {
		t.Fatal("a second trial of the same client was admitted")
	}
	// two more hanging trials of two more clients fill the slots
	b.Admit("k", 667, clk.now())
	b.Admit("k", 668, clk.now())
	if _, _, ok := b.Admit("k", 1, clk.now()); ok {
		t.Fatal("a fourth trial while three run")
	}
	// after trial_timeout they count as failed: three clients failed, so
	// the circuit opens again (it does not stay half-open forever)
	clk.advance(2 * time.Second)
	if _, _, ok := b.Admit("k", 1, clk.now()); ok || b.State("k") != Open {
		t.Fatalf("three timed-out trials did not reopen the circuit: %s", b.State("k"))
	}
	clk.advance(10 * time.Second)
	// one attacker's failing trial does not reopen it; three good ones close it
	tk, _, ok := b.Admit("k", 666, clk.now())
	if !ok {
		t.Fatal("the attacker's trial was not admitted")
	}
	b.Done(tk, clk.now(), true, "")
	if _, _, ok := b.Admit("k", 666, clk.now()); ok {
		t.Fatal("a client whose trial failed got another in the same round")
	}
	for _, user := range []uint64{1, 2, 3} {
		tk, _, ok := b.Admit("k", user, clk.now())
		if !ok {
			t.Fatalf("client %d's trial was refused after one failed trial", user)
		}
		b.Done(tk, clk.now(), false, "")
	}
	if b.State("k") != Closed {
		t.Fatalf("three good trials did not close the circuit: %s", b.State("k"))
	}
}

// TestUndecidedRoundsEnd: a client whose trial failed, alone, is not shut
// out forever: the round ends after open_for and the circuit opens again,
// then tries anew.
func TestUndecidedRoundsEnd(t *testing.T) {
	clk := new(clock)
	cfg := config()
	b := New(cfg, nil)
	openWith(t, b, "k", clk)
	clk.advance(cfg.OpenFor)
	tk, _, _ := b.Admit("k", 1, clk.now())
	b.Done(tk, clk.now(), true, "")
	clk.advance(cfg.OpenFor)
	if _, _, ok := b.Admit("k", 1, clk.now()); ok || b.State("k") != Open {
		t.Fatalf("an undecided round with a failed trial: state %s", b.State("k"))
	}
	clk.advance(cfg.OpenFor)
	if tk, _, ok := b.Admit("k", 1, clk.now()); !ok || !tk.Trial() {
		t.Fatal("the next round gave the client no trial")
	}
}

func TestTransitionsAreReported(t *testing.T) {
	clk := new(clock)
	var got []State
	b := New(config(), func(tr Transition) { got = append(got, tr.To) })
	openWith(t, b, "k", clk)
	clk.advance(30 * time.Second)
	for c := range uint64(3) {
		tk, _, _ := b.Admit("k", c, clk.now())
		b.Done(tk, clk.now(), false, "")
	}
	if len(got) != 3 || got[0] != Open || got[1] != HalfOpen || got[2] != Closed {
		t.Fatalf("transitions %v", got)
	}
}
