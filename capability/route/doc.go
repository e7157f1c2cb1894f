// Package route sends alerts and incidents to the people who own them,
// by the capability map.
//
// An [Event] (a gate failure, a bypass, an exception about to expire,
// drift, a vulnerability in a shipped version) is about a control, an
// area, a service or an environment. A [Router] tries its [Rule] values in
// order: the first rule that matches (and those after a rule that
// continues) sends a [Notification] through the rule's route to the
// rule's owner, or to the event's owner by the map: its control's
// effective owner, else its area's, else its environment's, else the
// programme's. A [Notifier] delivers notifications; route/webhook is one.
// The Router delivers each event at most once per route.
//
// Events come from the SDK's records: [GateEvents] from a policy
// decision, [ExpiringEvents] from the map's exceptions,
// [DeploymentDriftEvents] and [ConfigDriftEvents] from drift checks, and
// [VulnerabilityEvents] from the ledger's answer to which shipped
// releases contain an affected package.
//
// Concurrency: a Router is safe for concurrent use; the event functions
// keep no state.
package route
