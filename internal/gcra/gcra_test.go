package gcra

import (
	"testing"
	"time"
	"unsafe"
)

func TestShardFillsTwoCacheLines(t *testing.T) {
	if size := unsafe.Sizeof(shard{}); size != 128 {
		t.Fatalf("shard is %d bytes; adjust its padding to 128", size)
	}
}

func TestSmallZonesHaveFewerShards(t *testing.T) {
	now := func() int64 { return 0 }
	z := NewZone([]Rate{NewRate(10, time.Minute, 0)}, 31, now)
	defer z.Close()
	if len(z.shards) != 1 {
		t.Fatalf("a zone of 31 keys has %d shards", len(z.shards))
	}
	big := NewZone([]Rate{NewRate(10, time.Minute, 0)}, 100000, now)
	defer big.Close()
	if len(big.shards) != shards {
		t.Fatalf("a zone of 100000 keys has %d shards", len(big.shards))
	}
}

func TestNewRate(t *testing.T) {
	r := NewRate(5, time.Minute, 0)
	if r.Interval != int64(12*time.Second) || r.Tolerance != int64(time.Minute) || r.Burst != 5 || r.Window != 60 {
		t.Fatalf("5/1m: %+v", r)
	}
	r = NewRate(1, time.Second, 20)
	if r.Tolerance != int64(20*time.Second) || r.Window != 20 {
		t.Fatalf("1/s burst 20: %+v", r)
	}
}
