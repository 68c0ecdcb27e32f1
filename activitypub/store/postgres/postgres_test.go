package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
	"github.com/cohort-course/cohort/activitypub/store/storetest"
)

func open(t *testing.T) activitypub.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

// openShared opens n Stores on one new schema, at once, as processes
// starting together would: the migration lock lets one apply the schema
// while the others wait.
func openShared(t *testing.T, n int) []activitypub.Store {
	t.Helper()
	url := pgtest.URL(t)
	ss := make([]activitypub.Store, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			ss[i] = s
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ss
}

func TestConcurrent(t *testing.T) {
	storetest.RunConcurrent(t, openShared)
}

// TestMigrateTogether: eight processes open one empty database at once;
// each migration is applied once, and all of them open.
func TestMigrateTogether(t *testing.T) {
	ss := openShared(t, 8)
	for _, s := range ss {
		defer s.Close()
	}
	v, err := ss[0].(*postgres.Store).Version(context.Background())
	if err != nil || v < 1 {
		t.Fatalf("Version = %d, %v", v, err)
	}
}
