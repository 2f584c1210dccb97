package web

import (
	"maps"
	"reflect"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// touchEvery is how stale a session's stored expiry may get before a
// request that changes nothing in it writes it again.
const touchEvery = time.Minute

// quietStore skips the session write scs makes on every request when an
// idle timeout is set. scs re-commits an unchanged session only to push
// its expiry forward; on SQLite that write waits for the database's single
// writer, so a page that only reads waited behind every bulk write (an
// approval of 10,000 changes, an import) and could fail with SQLITE_BUSY.
// An unchanged session is now written at most once a minute per replica,
// so its idle timeout may end up to a minute early; a changed one (sign-in,
// a flash, a new CSRF token) is written at once, and Delete always
// reaches the database.
type quietStore struct {
	scs.Store
	codec scs.Codec
	now   func() time.Time

	mu   sync.Mutex
	seen map[string]committed
}

// committed is what this replica last wrote for a session: its values as
// decoded, since the codec's bytes are not stable (gob writes a map in
// random order).
type committed struct {
	deadline time.Time
	values   map[string]any
	expiry   time.Time
	at       time.Time
}

// newQuietStore wraps st; codec must be the session manager's.
func newQuietStore(st scs.Store, codec scs.Codec) *quietStore {
	return &quietStore{Store: st, codec: codec, now: time.Now, seen: map[string]committed{}}
}

// Commit implements scs.Store.
func (q *quietStore) Commit(token string, b []byte, expiry time.Time) error {
	deadline, values, err := q.codec.Decode(b)
	if err != nil {
		return q.Store.Commit(token, b, expiry) // not ours to judge
	}
	now := q.now()
	q.mu.Lock()
	last, ok := q.seen[token]
	q.mu.Unlock()
	if ok && now.Sub(last.at) < touchEvery && !expiry.Before(last.expiry) &&
		deadline.Equal(last.deadline) && reflect.DeepEqual(values, last.values) {
		return nil
	}
	if err := q.Store.Commit(token, b, expiry); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seen[token] = committed{deadline: deadline, values: maps.Clone(values), expiry: expiry, at: now}
	if len(q.seen) > 1000 {
		for t, c := range q.seen {
			if now.Sub(c.at) >= touchEvery {
				delete(q.seen, t)
			}
		}
	}
	return nil
}

// Delete implements scs.Store.
func (q *quietStore) Delete(token string) error {
	q.mu.Lock()
	delete(q.seen, token)
	q.mu.Unlock()
	return q.Store.Delete(token)
}
