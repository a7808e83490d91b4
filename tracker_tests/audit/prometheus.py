# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""``-f prometheus``: the text exposition node_exporter's textfile reads.

Every metric is a gauge of the last run: the collector re-reads the file
on each scrape, and an alert fires on ``tracker_audit_new_findings > 0``
or ``tracker_audit_success == 0``. A failed run (exit 1) still writes the
file, with ``tracker_audit_success 0`` and no finding figures, so that a
cloud that stopped answering is not mistaken for a clean one.
"""

import collections

import prometheus_client
from prometheus_client import core

from tracker_tests.audit import report as report_mod

PREFIX = 'tracker_audit'


def _gauge(registry, name, documentation, labels=()):
    return prometheus_client.Gauge(
        '%s_%s' % (PREFIX, name), documentation, labelnames=labels,
        registry=registry)


def _run_metrics(registry, success, seconds, finished_at, failed_service):
    _gauge(registry, 'success', '1 when the last audit read the whole '
           'scope and checked it, 0 when it failed.').set(int(success))
    read_errors = _gauge(
        registry, 'read_errors', 'Reads of the last audit that failed, '
        'by service (a failed read ends the audit).', ('service',))
    for service in ('compute', 'placement', 'identity'):
        read_errors.labels(service).set(int(service == failed_service))
    _gauge(registry, 'duration_seconds',
           'How long the last audit took, settle re-reads included.').set(
               seconds)
    _gauge(registry, 'last_run_timestamp_seconds',
           'When the last audit ended (Unix time).').set(finished_at)


def render(report):
    """The exposition of a completed audit."""
    registry = core.CollectorRegistry(auto_describe=True)
    _run_metrics(registry, True, report.result.seconds, report.finished_at,
                 None)
    info = report_mod.summary(report)
    for name, documentation in (
            ('providers', 'Resource providers read.'),
            ('servers', 'Servers read.'),
            ('consumers', 'Consumers seen holding allocations.'),
            ('reads', 'Reads of the cloud, settle re-reads included.')):
        _gauge(registry, name, documentation).set(info[name])
    grouped = collections.Counter(
        (f.kind, f.severity, f.host or '', str(report.is_acknowledged(f))
         .lower()) for f in report.findings)
    findings = _gauge(
        registry, 'findings', 'Findings of the last audit by kind, '
        'severity, host and whether --ignore or --baseline acknowledged '
        'them.', ('kind', 'severity', 'host', 'acknowledged'))
    for labels, count in sorted(grouped.items()):
        findings.labels(*labels).set(count)
    new = _gauge(registry, 'new_findings', 'Findings not acknowledged, by '
                 'kind; 0 for each kind checked and not found.', ('kind',))
    new_by_kind = collections.Counter(f.kind for f in report.new_findings())
    for kind in info['counts']:
        new.labels(kind).set(new_by_kind[kind])
    return prometheus_client.generate_latest(registry).decode()


def render_failure(service, seconds, finished_at):
    """The exposition of an audit that ended on an error (exit 1)."""
    registry = core.CollectorRegistry(auto_describe=True)
    _run_metrics(registry, False, seconds, finished_at, service)
    return prometheus_client.generate_latest(registry).decode()
