package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paved-dev/paved/evidence"
)

// AppendLockKey is the key of the transaction-scoped advisory lock
// (pg_advisory_xact_lock) that every append and every schema migration
// takes first: it serializes them across processes. Every paved log in one
// database shares it.
const AppendLockKey int64 = 0x70617665645f6576 // "paved_ev"

// minConns is the smallest pool that works: Audit reads nodes while it
// scans.
const minConns = 2

// Errors of this package; check with errors.Is. Lookups that find nothing
// wrap evidence.ErrNotFound, calls after Close wrap evidence.ErrClosed, and
// records PostgreSQL cannot store wrap evidence.ErrInvalidEntry.
var (
	// ErrSchemaTooNew: the database's schema was migrated by a newer
	// version of this package, which this one cannot use safely.
	ErrSchemaTooNew = errors.New("postgres: schema newer than this code")
	// ErrInvalidOption: an Option with a bad value, or given twice, or a
	// connection string that cannot be used.
	ErrInvalidOption = errors.New("postgres: invalid option")
)

// Error reports a failed operation: "postgres: op subject: cause". It unwraps
// to the cause, so errors.Is finds evidence.ErrNotFound, evidence.ErrClosed,
// evidence.ErrInvalidEntry and this package's sentinels through it.
type Error = evidence.BackendError

// Backend is an evidence.Backend over a PostgreSQL database. It is safe for
// concurrent use by multiple goroutines and by several processes; see the
// package documentation.
type Backend struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	closed atomic.Bool
}

var _ evidence.Backend = (*Backend)(nil)

type config struct {
	logger *slog.Logger
	given  map[string]bool
}

// Option configures Open. Make one with WithLogger; giving the same option
// twice is an error.
type Option interface{ apply(*config) error }

type option struct {
	name string
	set  func(*config) error
}

func (o option) apply(c *config) error {
	if c.given[o.name] {
		return fmt.Errorf("%w: %s given twice", ErrInvalidOption, o.name)
	}
	c.given[o.name] = true
	return o.set(c)
}

// WithLogger sends the backend's diagnostics to l: schema migrations at
// info level, appends and Close at debug level. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return option{name: "WithLogger", set: func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger: nil logger", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}}
}

// Open connects to the PostgreSQL database that connString names (a URL,
// "postgres://user@host:port/db?sslmode=…", or keyword/value pairs, as
// pgxpool.ParseConfig reads them, pool settings such as pool_max_conns
// included) and migrates its schema, in the first schema of the search_path,
// to the version this code knows, under the append lock. It fails with an
// error wrapping ErrSchemaTooNew if the database's schema is newer, and
// with one wrapping ErrInvalidOption for a bad option or connection string
// (or a pool of fewer than two connections). Close the Backend to release
// the pool.
func Open(ctx context.Context, connString string, opts ...Option) (*Backend, error) {
	cfg := config{logger: slog.New(slog.DiscardHandler), given: map[string]bool{}}
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, fmt.Errorf("%w: nil option", ErrInvalidOption))
			continue
		}
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, err)
		}
	}
	var subject string
	poolCfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's message may quote the connection string, and with it a
		// password: say only that it is malformed.
		errs = append(errs, fmt.Errorf("%w: malformed connection string", ErrInvalidOption))
	} else {
		subject = target(poolCfg)
		if poolCfg.MaxConns < minConns {
			errs = append(errs, fmt.Errorf("%w: pool_max_conns is %d: the backend needs at least %d connections", ErrInvalidOption, poolCfg.MaxConns, minConns))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, &Error{Backend: "postgres", Op: "open", Subject: subject, Err: err}
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, &Error{Backend: "postgres", Op: "open", Subject: subject, Err: err}
	}
	b := &Backend{pool: pool, logger: cfg.logger}
	if err := b.migrate(ctx); err != nil {
		pool.Close()
		return nil, &Error{Backend: "postgres", Op: "open", Subject: subject, Err: err}
	}
	return b, nil
}

// target names the database a configuration connects to, without
// credentials: "host:port/database".
func target(c *pgxpool.Config) string {
	cc := c.ConnConfig
	return net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))) + "/" + cc.Database
}

// Close closes the pool: it waits for the connections that running calls
// and unfinished loops hold, or for ctx to end, whichever comes first (the
// pool then finishes closing when the last connection comes back). Later
// calls return an error wrapping evidence.ErrClosed.
func (b *Backend) Close(ctx context.Context) error {
	if b.closed.Swap(true) {
		return &Error{Backend: "postgres", Op: "close", Err: evidence.ErrClosed}
	}
	done := make(chan struct{})
	go func() {
		b.pool.Close()
		close(done)
	}()
	select {
	case <-done:
		b.logger.LogAttrs(ctx, slog.LevelDebug, "postgres: closed")
		return nil
	case <-ctx.Done():
		return &Error{Backend: "postgres", Op: "close", Err: ctx.Err()}
	}
}

// rollbackTimeout bounds the ROLLBACK that ends a failed or abandoned
// transaction, which runs even when the call's context is done.
const rollbackTimeout = 10 * time.Second

// rollback ends the transaction of tx, if one is open, with a context that
// outlives ctx's cancellation but not rollbackTimeout.
func rollback(ctx context.Context, tx interface {
	Rollback(context.Context) error
}) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// fail wraps err as the failure of op, adding evidence.ErrClosed when the
// backend was closed underneath the call.
func (b *Backend) fail(op string, err error) *Error {
	if b.closed.Load() && !errors.Is(err, evidence.ErrClosed) {
		err = fmt.Errorf("%w: %w", evidence.ErrClosed, err)
	}
	return &Error{Backend: "postgres", Op: op, Err: err}
}

// checkOpen returns the error of op on a closed backend, or nil.
func (b *Backend) checkOpen(op string) error {
	if b.closed.Load() {
		return &Error{Backend: "postgres", Op: op, Err: evidence.ErrClosed}
	}
	return nil
}
