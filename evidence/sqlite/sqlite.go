package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/paved-dev/paved/evidence"
)

// DefaultPath is where a program keeps its evidence database unless told
// otherwise, relative to its working directory.
const DefaultPath = ".paved/evidence.db"

// DefaultBusyTimeout is how long an operation waits for another process's
// append to finish before it fails, unless changed with WithBusyTimeout.
const DefaultBusyTimeout = 30 * time.Second

// Errors of this package; check with errors.Is. Lookups that find nothing
// wrap evidence.ErrNotFound and calls after Close wrap evidence.ErrClosed.
var (
	// ErrSchemaTooNew: the file's schema was written by a newer version of
	// this package, which this one cannot read safely.
	ErrSchemaTooNew = errors.New("sqlite: schema newer than this code")
	// ErrInvalidOption: an Option with a bad value, or given twice.
	ErrInvalidOption = errors.New("sqlite: invalid option")
)

// Error reports a failed operation: "sqlite: op subject: cause". It unwraps
// to the cause, so errors.Is finds evidence.ErrNotFound, evidence.ErrClosed,
// evidence.ErrInvalidEntry and this package's sentinels through it.
type Error = evidence.BackendError

// Option configures Open. Make one with WithLogger or WithBusyTimeout;
// giving the same option twice is an error.
type Option interface {
	apply(*config) error
}

type config struct {
	logger      *slog.Logger
	busyTimeout time.Duration
	given       map[string]bool
}

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

// WithLogger sends the backend's diagnostics (the file opened, migrations
// applied, appends) to l. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return option{name: "WithLogger", set: func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger: nil logger", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}}
}

// WithBusyTimeout sets how long an operation waits for the lock that
// another process holds (during its append) before it fails; d is rounded
// down to the millisecond and must be at least one. Default
// DefaultBusyTimeout.
func WithBusyTimeout(d time.Duration) Option {
	return option{name: "WithBusyTimeout", set: func(c *config) error {
		if d < time.Millisecond {
			return fmt.Errorf("%w: WithBusyTimeout: %v is shorter than a millisecond", ErrInvalidOption, d)
		}
		c.busyTimeout = d
		return nil
	}}
}

// Backend is an evidence.Backend over one SQLite file. It is safe for
// concurrent use by multiple goroutines, and other processes may use the
// same file at the same time (see the package documentation). Close it when
// done.
//
// It holds one writing connection and a pool of reading ones (as many as
// run at once, four kept idle); the writing connection caches up to 32 MiB
// of pages, a reading one up to 8 MiB, and each maps up to 2 GiB of the file
// into memory, which the operating system pages in as queries touch it.
type Backend struct {
	path   string
	log    *slog.Logger
	write  *sql.DB // one connection; transactions BEGIN IMMEDIATE
	read   *sql.DB // read-only connections
	stmts  writeStmts
	reads  stmtCache // statements on read
	closed atomic.Bool
}

var _ evidence.Backend = (*Backend)(nil)

// Open opens the evidence database at path, creating the file (mode 0600)
// and its directory (mode 0700) if they are absent, and applies the schema
// migrations this code knows that the file lacks. It fails with an error
// wrapping ErrSchemaTooNew if the file's schema is newer than that.
func Open(ctx context.Context, path string, opts ...Option) (*Backend, error) {
	cfg := config{logger: slog.New(slog.DiscardHandler), busyTimeout: DefaultBusyTimeout, given: map[string]bool{}}
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
	if err := errors.Join(errs...); err != nil {
		return nil, &Error{Backend: "sqlite", Op: "open", Subject: path, Err: err}
	}
	if path == "" {
		return nil, &Error{Backend: "sqlite", Op: "open", Err: errors.New("empty path")}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{Backend: "sqlite", Op: "open", Subject: path, Err: err}
	}
	if err := create(abs); err != nil {
		return nil, &Error{Backend: "sqlite", Op: "open", Subject: path, Err: err}
	}
	b := &Backend{path: abs, log: cfg.logger}
	if err := b.open(ctx, abs, cfg); err != nil {
		b.closeDBs()
		return nil, &Error{Backend: "sqlite", Op: "open", Subject: path, Err: err}
	}
	return b, nil
}

// create makes the database file and its directory if they are absent, so
// that they get private modes (SQLite gives the -wal and -shm files the
// database file's mode).
func create(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// dsn returns the driver's data source name for the file at path: a
// file: URI, so that any character may appear in the path.
func dsn(path string, busy time.Duration, params ...string) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path[0] != '/' { // a Windows drive letter: file:///C:/...
		u.Path = "/" + u.Path
	}
	return u.String()
}

// mmapSize is how much of the file connections read through memory
// mapping (2 GiB less 64 KiB, SQLite's default limit) rather than read
// calls: a query's rows are spread over the file, and each read call costs
// more than the row.
const mmapSize = "2147418112"

func (b *Backend) open(ctx context.Context, path string, cfg config) error {
	var err error
	b.write, err = sql.Open("sqlite", dsn(path, cfg.busyTimeout,
		"_journal_mode", "WAL",
		"_synchronous", "FULL",
		"_foreign_keys", "1",
		"_txlock", "immediate",
		"_pragma", "cache_size(-32768)",
		"_pragma", "mmap_size("+mmapSize+")",
		"_pragma", "temp_store(MEMORY)",
	))
	if err != nil {
		return err
	}
	// One writing connection: appenders of this process queue for it, and
	// those of other processes wait on the file lock.
	b.write.SetMaxOpenConns(1)
	b.write.SetMaxIdleConns(1)
	b.write.SetConnMaxLifetime(0)
	b.write.SetConnMaxIdleTime(0)

	version, applied, err := migrate(ctx, b.write, migrations)
	if err != nil {
		return err
	}
	for _, v := range applied {
		b.log.InfoContext(ctx, "sqlite: applied schema migration", "path", path, "version", v)
	}
	if len(applied) > 0 {
		// A migration that rebuilds a table writes the whole table to the
		// write-ahead log: copy it into the file and empty the log.
		if _, err := b.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return fmt.Errorf("checkpoint after migration: %w", err)
		}
	}
	if err := b.stmts.prepare(ctx, b.write); err != nil {
		return err
	}

	b.read, err = sql.Open("sqlite", dsn(path, cfg.busyTimeout,
		"_query_only", "1",
		"_pragma", "cache_size(-8192)",
		"_pragma", "mmap_size("+mmapSize+")",
	))
	if err != nil {
		return err
	}
	b.read.SetMaxIdleConns(4)
	b.read.SetConnMaxIdleTime(0) // a connection keeps its cache and memory map warm
	b.reads = stmtCache{db: b.read, stmts: map[string]*sql.Stmt{}}
	if err := b.read.PingContext(ctx); err != nil {
		return err
	}
	b.log.DebugContext(ctx, "sqlite: opened evidence database", "path", path, "schema_version", version)
	return nil
}

// Close releases the backend's connections, after which every method,
// Close included, returns an error wrapping evidence.ErrClosed. Iterators
// still running end with that error. Close runs SQLite's PRAGMA optimize
// first, bounded by ctx.
func (b *Backend) Close(ctx context.Context) error {
	if !b.closed.CompareAndSwap(false, true) {
		return &Error{Backend: "sqlite", Op: "close", Err: evidence.ErrClosed}
	}
	var errs []error
	if _, err := b.write.ExecContext(ctx, "PRAGMA optimize"); err != nil && ctx.Err() == nil {
		errs = append(errs, err)
	}
	errs = append(errs, b.closeDBs())
	if err := errors.Join(errs...); err != nil {
		return &Error{Backend: "sqlite", Op: "close", Subject: b.path, Err: err}
	}
	b.log.DebugContext(ctx, "sqlite: closed evidence database", "path", b.path)
	return nil
}

func (b *Backend) closeDBs() error {
	var errs []error
	errs = append(errs, b.stmts.close())
	errs = append(errs, b.reads.close())
	if b.read != nil {
		errs = append(errs, b.read.Close())
	}
	if b.write != nil {
		errs = append(errs, b.write.Close())
	}
	return errors.Join(errs...)
}

// fail wraps err as the error of op; after Close, the cause is
// evidence.ErrClosed whatever the driver said.
func (b *Backend) fail(op, subject string, err error) error {
	if b.closed.Load() && !errors.Is(err, evidence.ErrClosed) {
		err = evidence.ErrClosed
	}
	return &Error{Backend: "sqlite", Op: op, Subject: subject, Err: err}
}

// errIfClosed returns the error of op on a closed backend, or nil.
func (b *Backend) errIfClosed(op string) error {
	if b.closed.Load() {
		return &Error{Backend: "sqlite", Op: op, Err: evidence.ErrClosed}
	}
	return nil
}
