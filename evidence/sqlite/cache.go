package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the statements a stmtCache keeps. A query's text
// depends only on which fields of the query are set, so a program uses
// few; past the bound, statements are prepared for one use.
const maxCachedStmts = 256

// stmtCache keeps statements prepared on the reading connections by their
// text, since preparing one costs about as much as running it. It is safe
// for concurrent use.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// get returns a statement for query and the function to call when done
// with it (and its rows).
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, func(), error) {
	c.mu.Lock()
	stmt, ok := c.stmts[query]
	c.mu.Unlock()
	if ok {
		return stmt, func() {}, nil
	}
	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[query]; ok { // prepared meanwhile by another caller
		return old, func() { _ = stmt.Close() }, nil
	}
	if c.stmts == nil || len(c.stmts) >= maxCachedStmts {
		return stmt, func() { _ = stmt.Close() }, nil
	}
	c.stmts[query] = stmt
	return stmt, func() {}, nil
}

// close closes the cached statements; later calls to get prepare
// statements for one use.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, s := range c.stmts {
		errs = append(errs, s.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
