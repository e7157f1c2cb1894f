package metrics

// The checks every record passes before it counts; Compute and Stream share
// them, so that both leave out the same records for the same reasons.

func checkChange(c *Change) (Reason, string) {
	if c.ID == "" {
		return ReasonMissingField, "id"
	}
	return "", ""
}

func checkDeployment(d *Deployment) (Reason, string) {
	switch {
	case d.ID == "":
		return ReasonMissingField, "id"
	case d.Service == "":
		return ReasonMissingField, "service"
	case d.Environment == "":
		return ReasonMissingField, "environment"
	case d.FinishedAt.IsZero():
		return ReasonMissingField, "finishedAt"
	case !d.StartedAt.IsZero() && d.FinishedAt.Before(d.StartedAt):
		return ReasonEndsBeforeStart, "finishedAt before startedAt"
	}
	switch d.Kind {
	case "", KindNormal, KindRollback, KindHotfix, KindUnplanned:
	default:
		return ReasonUnknownKind, "kind " + string(d.Kind)
	}
	switch d.Outcome {
	case "", OutcomeSucceeded, OutcomeFailed, OutcomeRolledBack:
	default:
		return ReasonUnknownKind, "outcome " + string(d.Outcome)
	}
	return "", ""
}

func checkIncident(in *Incident) (Reason, string) {
	switch {
	case in.ID == "":
		return ReasonMissingField, "id"
	case in.Service == "":
		return ReasonMissingField, "service"
	case in.Environment == "":
		return ReasonMissingField, "environment"
	case in.DetectedAt.IsZero():
		return ReasonMissingField, "detectedAt"
	case !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.DetectedAt):
		return ReasonEndsBeforeStart, "resolvedAt before detectedAt"
	}
	return "", ""
}

func checkRun(r *Run) (Reason, string) {
	switch {
	case r.ID == "":
		return ReasonMissingField, "id"
	case r.Service == "":
		return ReasonMissingField, "service"
	case r.Environment == "":
		return ReasonMissingField, "environment"
	case r.StartedAt.IsZero():
		return ReasonMissingField, "startedAt"
	}
	for _, s := range r.Steps {
		if s.Duration < 0 {
			return ReasonNegativeDuration, "step " + s.Name
		}
	}
	return "", ""
}
