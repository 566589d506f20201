package terraform

import "strings"

// alarm checks that a CloudWatch metric alarm can fire: it needs a
// comparison_operator and a threshold, or threshold_metric_id for an
// anomaly detection band:
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_metric_alarm
// Other monitoring providers' resources (datadog_monitor...) are not read.
func (r *reader) alarm(in *instance, res *resource, rep repetition) Alarm {
	at := res.block.DefRange
	a := Alarm{Address: in.resourceAddr(res, rep), Path: at.Filename, Line: at.Start.Line}
	attrs := attributes(res.block.Body, "comparison_operator", "threshold", "threshold_metric_id")
	var missing []string
	if attrs["comparison_operator"] == nil {
		missing = append(missing, "comparison_operator")
	}
	if attrs["threshold"] == nil && attrs["threshold_metric_id"] == nil {
		missing = append(missing, "threshold (or threshold_metric_id for an anomaly detection band)")
	}
	if len(missing) > 0 {
		a.Problem = "sets no " + strings.Join(missing, " and ") + ", so it never fires"
	}
	return a
}
