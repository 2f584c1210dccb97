package web

import (
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/stretchr/testify/require"
)

// countingStore counts the writes that reach the real store.
type countingStore struct {
	*memstore.MemStore
	commits int
}

func (c *countingStore) Commit(token string, b []byte, expiry time.Time) error {
	c.commits++
	return c.MemStore.Commit(token, b, expiry)
}

// An unchanged session is written at most once a minute; a changed one,
// at once; a deleted one is written again on its next commit.
func TestQuietStoreWritesChangesAtOnce(t *testing.T) {
	mem := &countingStore{MemStore: memstore.NewWithCleanupInterval(0)}
	codec := scs.GobCodec{}
	q := newQuietStore(mem, codec)
	// memstore judges expiry by the real clock, so the test clock starts now.
	clock := time.Now().UTC()
	q.now = func() time.Time { return clock }
	deadline := clock.Add(12 * time.Hour)
	enc := func(values map[string]any) []byte {
		b, err := codec.Encode(deadline, values)
		require.NoError(t, err)
		return b
	}
	values := map[string]any{"admin_id": int64(7), "csrf": "t1", "a": "1", "b": "2", "c": "3"}
	commit := func(v map[string]any) {
		require.NoError(t, q.Commit("tok", enc(v), clock.Add(2*time.Hour)))
	}

	commit(values)
	require.Equal(t, 1, mem.commits)
	for range 20 { // gob writes maps in random order: the bytes differ, the values do not
		clock = clock.Add(time.Second)
		commit(values)
	}
	require.Equal(t, 1, mem.commits, "an unchanged session within a minute is not written")

	changed := map[string]any{"admin_id": int64(7), "csrf": "t1", "a": "1", "b": "2", "c": "3", "flash": "ok|Saved"}
	commit(changed)
	require.Equal(t, 2, mem.commits, "a changed session is written at once")

	clock = clock.Add(touchEvery)
	commit(changed)
	require.Equal(t, 3, mem.commits, "an unchanged session is written once a minute, to move its idle expiry")

	require.NoError(t, q.Delete("tok"))
	commit(changed)
	require.Equal(t, 4, mem.commits, "after a delete the next commit writes")
	_, found, err := mem.Find("tok")
	require.NoError(t, err)
	require.True(t, found)
}
