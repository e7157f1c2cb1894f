// Package browsertest renders HTML pages in headless Chromium for tests,
// so that a report's page is checked in the browser that people use, not
// only as text. It skips the test when Chromium is not installed, unless
// CI=true, when it fails it.
//
// Its functions are safe to call from parallel tests: each run has its
// own profile directory.
package browsertest
