package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxPrepared bounds how many distinct statements are kept prepared: the
// Store's own SQL is some tens of statements; a query built with a varying
// number of placeholders is prepared afresh past the bound instead of
// filling memory.
const maxPrepared = 256

// pool is the connection pool with each statement prepared once per
// connection and kept. SQLite parses and plans a statement on every
// prepare; without the cache every query and every write of the inbox did
// it again, the largest single part (about a fifth) of the companion's CPU
// per reply in a profile of the real binary under load.
type pool struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newPool(db *sql.DB) *pool { return &pool{DB: db, stmts: map[string]*sql.Stmt{}} }

// prepared returns the kept statement for query, preparing it on first
// use; nil when it cannot be prepared or the cache is full, and the caller
// runs the query unprepared.
func (p *pool) prepared(ctx context.Context, query string) *sql.Stmt {
	p.mu.Lock()
	st, ok := p.stmts[query]
	full := len(p.stmts) >= maxPrepared
	p.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared run reports the error
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.stmts[query]; ok {
		st.Close()
		return prev
	}
	p.stmts[query] = st
	return st
}

// QueryContext is sql.DB's, with the statement prepared once.
func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext is sql.DB's, with the statement prepared once.
func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// execTx runs a write in tx with the statement prepared once: the
// connection-level statement is reused when tx's connection has it.
func (p *pool) execTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st := p.prepared(ctx, query)
	if st == nil {
		return tx.ExecContext(ctx, query, args...)
	}
	ts := tx.StmtContext(ctx, st)
	defer ts.Close() // leaves the connection's statement prepared
	return ts.ExecContext(ctx, args...)
}

// Close closes the kept statements and the database.
func (p *pool) Close() error {
	p.mu.Lock()
	for q, st := range p.stmts {
		st.Close()
		delete(p.stmts, q)
	}
	p.mu.Unlock()
	return p.DB.Close()
}
