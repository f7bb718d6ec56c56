package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a Redis master with one replica watched by three sentinels
// (quorum 2), all on free loopback ports, as a failover test needs: the
// test kills the master and the sentinels promote the replica within a
// few seconds (down-after 1s).
type Sentinel struct {
	t          testing.TB
	MasterName string
	// Servers are the master and the replica as started; which one is the
	// master changes with a failover (Master says).
	Servers   []*RedisServer
	Sentinels []*RedisServer
}

// StartSentinel starts the master, the replica and the sentinels, and
// waits until the sentinels know the replica and each other.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	master := StartRedisWith(t)
	replica := StartRedisWith(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	st := &Sentinel{t: t, MasterName: "gwmaster", Servers: []*RedisServer{master, replica}}
	dir := t.TempDir()
	for i := range 3 {
		port := FreePort(t)
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\n"+
			"sentinel parallel-syncs %s 1\n", port, dir, st.MasterName, master.Port, st.MasterName, st.MasterName, st.MasterName)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s := &RedisServer{t: t, bin: master.bin, Port: port}
		s.startWith(conf, "--sentinel", "--logfile", "")
		t.Cleanup(s.Stop)
		st.Sentinels = append(st.Sentinels, s)
	}
	Eventually(t, 20*time.Second, "the sentinels do not see the replica and each other", func() bool {
		for _, s := range st.Sentinels {
			m, err := s.sentinelClient().Master(context.Background(), st.MasterName).Result()
			if err != nil || m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
				return false
			}
		}
		return true
	})
	return st
}

// Addrs are the sentinels' host:port.
func (st *Sentinel) Addrs() []string {
	var out []string
	for _, s := range st.Sentinels {
		out = append(out, s.Addr())
	}
	return out
}

// Master returns the server the sentinels name as the master now.
func (st *Sentinel) Master() *RedisServer {
	st.t.Helper()
	for _, s := range st.Sentinels {
		addr, err := s.sentinelClient().GetMasterAddrByName(context.Background(), st.MasterName).Result()
		if err != nil || len(addr) != 2 {
			continue
		}
		for _, srv := range st.Servers {
			if strconv.Itoa(srv.Port) == addr[1] {
				return srv
			}
		}
	}
	st.t.Fatal("no sentinel names a master")
	return nil
}

// WaitForNewMaster waits until the sentinels name a master other than old
// and it accepts writes, and returns it.
func (st *Sentinel) WaitForNewMaster(old *RedisServer, within time.Duration) *RedisServer {
	st.t.Helper()
	var m *RedisServer
	Eventually(st.t, within, "the sentinels did not fail over", func() bool {
		m = st.Master()
		if m == old {
			return false
		}
		role, err := m.Client().Do(context.Background(), "ROLE").Slice()
		return err == nil && len(role) > 0 && role[0] == "master"
	})
	return m
}

func (s *RedisServer) sentinelClient() *redis.SentinelClient {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), DialTimeout: time.Second, ReadTimeout: time.Second})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// startWith starts a redis-server with a config file and arguments and
// waits until it accepts connections.
func (s *RedisServer) startWith(conf string, args ...string) {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, append([]string{conf}, args...)...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.waitListening()
}

// Cluster is a Redis Cluster of masters without replicas on free loopback
// ports, made with `redis-cli --cluster create`. Its nodes write an
// append-only file on every write (appendfsync always), as a production
// cluster that must survive a node's restart does.
type Cluster struct {
	t     testing.TB
	Nodes []*RedisServer
}

// StartCluster starts n (at least 3) cluster-enabled servers and joins
// them into one cluster, waiting until every node says cluster_state:ok.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	SkipInShortMode(t, "starts a Redis Cluster")
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli is not installed: the Redis Cluster tests need it (apt-get install redis-tools, or run .ci/run)")
	}
	c := &Cluster{t: t}
	for range n {
		dir := t.TempDir()
		c.Nodes = append(c.Nodes, StartRedisWith(t, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "2000", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always"))
	}
	args := []string{"--cluster", "create"}
	for _, node := range c.Nodes {
		args = append(args, node.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitOK()
	return c
}

// WaitOK waits until every node reports cluster_state:ok and the same
// slot map.
func (c *Cluster) WaitOK() {
	c.t.Helper()
	Eventually(c.t, 20*time.Second, "the cluster is not ok", func() bool {
		var first string
		for _, node := range c.Nodes {
			info, err := node.Client().ClusterInfo(context.Background()).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false
			}
			slots, err := node.Client().ClusterShards(context.Background()).Result()
			if err != nil {
				return false
			}
			s := fmt.Sprint(slotsOf(slots))
			if first == "" {
				first = s
			} else if s != first {
				return false
			}
		}
		return true
	})
}

func slotsOf(shards []redis.ClusterShard) map[int64]string {
	out := map[int64]string{}
	for _, sh := range shards {
		for _, n := range sh.Nodes {
			if n.Role == "master" {
				for _, r := range sh.Slots {
					out[r.Start] = fmt.Sprint(n.Port)
				}
			}
		}
	}
	return out
}

// Addrs are the nodes' host:port.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, node := range c.Nodes {
		out = append(out, node.Addr())
	}
	return out
}

// Client is a cluster client for a test's own checks, closed with the
// test.
func (c *Cluster) Client() *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	c.t.Cleanup(func() { cc.Close() })
	return cc
}

// NodeOf returns the node that serves key's slot.
func (c *Cluster) NodeOf(key string) *RedisServer {
	c.t.Helper()
	slot, err := c.Nodes[0].Client().ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, node := range c.Nodes {
		if node.ownsSlot(slot) {
			return node
		}
	}
	c.t.Fatalf("no node serves slot %d", slot)
	return nil
}

func (s *RedisServer) ownsSlot(slot int64) bool {
	shards, err := s.Client().ClusterShards(context.Background()).Result()
	if err != nil {
		return false
	}
	myID := s.nodeID()
	for _, sh := range shards {
		for _, n := range sh.Nodes {
			if n.ID != myID {
				continue
			}
			for _, r := range sh.Slots {
				if r.Start <= slot && slot <= r.End {
					return true
				}
			}
		}
	}
	return false
}

func (s *RedisServer) nodeID() string {
	s.t.Helper()
	id, err := s.Client().Do(context.Background(), "CLUSTER", "MYID").Text()
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// MoveSlot migrates key's slot, keys and all, to the node to, the way
// `redis-cli --cluster reshard` does (IMPORTING/MIGRATING, MIGRATE in
// batches, SETSLOT NODE on every node), while clients keep writing: they
// are redirected (ASK, then MOVED) meanwhile. pause is waited between the
// batches of keys, so writes land in the middle of the migration.
func (c *Cluster) MoveSlot(key string, to *RedisServer, pause time.Duration) {
	c.t.Helper()
	ctx := context.Background()
	from := c.NodeOf(key)
	if from == to {
		c.t.Fatalf("%s is served by the target node already", key)
	}
	slot, _ := from.Client().ClusterKeySlot(ctx, key).Result()
	fromID, toID := from.nodeID(), to.nodeID()
	must := func(err error) {
		c.t.Helper()
		if err != nil {
			c.t.Fatalf("moving slot %d: %v", slot, err)
		}
	}
	must(to.Client().Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", fromID).Err())
	must(from.Client().Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", toID).Err())
	for {
		keys, err := from.Client().ClusterGetKeysInSlot(ctx, int(slot), 10).Result()
		must(err)
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", "127.0.0.1", to.Port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		must(from.Client().Do(ctx, args...).Err())
		time.Sleep(pause)
	}
	must(to.Client().Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", toID).Err())
	must(from.Client().Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", toID).Err())
	for _, node := range c.Nodes {
		if node != from && node != to {
			must(node.Client().Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", toID).Err())
		}
	}
	c.WaitOK()
}
