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

"""An audit's outcome, and its table, JSON and row renderings.

The JSON schema is public (doc/source/audit.rst): keys may be added,
never renamed or removed.
"""

import dataclasses
import json
import time

from cliff import columns as cliff_columns

from tracker_tests.audit import checks

TABLE_COLUMNS = (
    ('KIND', 'kind'), ('HOST', 'host'), ('PROVIDER', 'provider'),
    ('CONSUMER', 'consumer'), ('CLASS', 'resource_class'),
    ('EXPECTED', 'expected'), ('ACTUAL', 'actual'))

#: The columns of ``-f csv|value|yaml`` and of ``-c``: a finding's JSON keys,
#: then whether it was acknowledged.
ROW_COLUMNS = ('kind', 'severity', 'host', 'provider', 'consumer',
               'resource_class', 'expected', 'actual', 'explanation',
               'remedy', 'acknowledged')

#: What names a finding across runs (a baseline's entries are matched on
#: these); the amounts may move between two runs.
IDENTITY_FIELDS = ('kind', 'host', 'provider', 'consumer', 'resource_class')

#: --fail-on level -> the severities that make the exit code 3.
FAIL_ON = {
    'warning': frozenset({checks.ERROR, checks.WARNING}),
    'error': frozenset({checks.ERROR}),
}


def identity(finding_dict):
    """The baseline key of a finding given as its JSON object."""
    return tuple(finding_dict.get(field) for field in IDENTITY_FIELDS)


@dataclasses.dataclass
class Report:
    """What one tracker-audit run found, ready to render in any format.

    ``acknowledged`` holds the identities (see ``identity``) of the
    findings an operator already knows of (--ignore, --baseline): they
    are listed, marked, and do not fail the run. ``figures`` is the
    snapshot the HTML charts draw, when it is not the audit's last read
    (which skips inventories when no remaining check needs them).
    """

    result: object  # settle.AuditResult
    kinds: tuple = checks.KINDS
    requests: int | None = None
    acknowledged: frozenset = frozenset()
    finished_at: float = dataclasses.field(default_factory=time.time)
    figures: object = None  # snapshot.Snapshot
    requests_by_service: dict | None = None

    @property
    def findings(self):
        return self.result.findings

    @property
    def snapshot(self):
        return self.result.snapshot

    @property
    def figures_snapshot(self):
        return self.figures if self.figures is not None else self.snapshot

    def is_acknowledged(self, finding):
        # Finding.key lists IDENTITY_FIELDS in their order.
        return finding.key in self.acknowledged

    def new_findings(self):
        if not self.acknowledged:
            return list(self.findings)
        return [f for f in self.findings if not self.is_acknowledged(f)]

    def failing(self, fail_on='warning'):
        """The new findings severe enough to make the run exit 3."""
        return [f for f in self.new_findings()
                if f.severity in FAIL_ON[fail_on]]


def summary(report):
    """The ``summary`` object of the JSON output."""
    snapshot = report.snapshot
    counts = {kind: 0 for kind in checks.validate_kinds(report.kinds)}
    for finding in report.findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    providers_read = set(snapshot.whole_providers) | {
        provider for provider, by_consumer in snapshot.allocations.items()
        if by_consumer}
    return {
        'counts': counts,
        'providers': len(providers_read),
        'servers': len(snapshot.servers),
        'consumers': len(snapshot.consumers()),
        'seconds': round(report.result.seconds, 3),
        'reads': report.result.reads,
        'requests': report.requests,
        'requests_by_service': dict(report.requests_by_service or {}),
        'acknowledged': len(report.findings) - len(report.new_findings()),
    }


def finding_dicts(report):
    """Each finding's JSON object, with whether it is acknowledged."""
    return [dict(finding.to_dict(),
                 acknowledged=report.is_acknowledged(finding))
            for finding in report.findings]


def to_json(report, indent=2):
    """The documented JSON document.

    With ``indent``, each finding is one line of the "findings" list:
    json's indenting encoder is pure Python and takes seconds over ten
    thousand findings, its compact one is not.
    """
    findings = finding_dicts(report)
    if indent is None:
        return json.dumps({'findings': findings, 'summary': summary(report)},
                          sort_keys=True) + '\n'
    pad = ' ' * indent
    summary_text = json.dumps(summary(report), indent=indent,
                              sort_keys=True).replace('\n', '\n' + pad)
    if not findings:
        listed = '[]'
    else:
        listed = '[\n%s\n%s]' % (',\n'.join(
            pad * 2 + json.dumps(finding, sort_keys=True)
            for finding in findings), pad)
    return '{\n%s"findings": %s,\n%s"summary": %s\n}\n' % (
        pad, listed, pad, summary_text)


class AmountColumn(cliff_columns.FormattableColumn):
    """``expected``/``actual``: a number, or {resource class: amount}."""

    def human_readable(self):
        return _cell(self._value)


def rows(report):
    """(ROW_COLUMNS, one tuple per finding) for cliff's list formatters.

    The rows are made as cliff reads them: the whole-report formats never
    do.
    """
    def data():
        for finding in finding_dicts(report):
            yield tuple(
                AmountColumn(finding[column])
                if column in ('expected', 'actual') else finding[column]
                for column in ROW_COLUMNS)
    return ROW_COLUMNS, data()


def _cell(value):
    if value is None:
        return '-'
    if isinstance(value, dict):
        return ','.join('%s=%s' % item for item in sorted(value.items())) or (
            '{}')
    return str(value)


def seen_line(report):
    return ('%(providers)d providers, %(servers)d servers, %(consumers)d '
            'consumers read in %(seconds).1f s' % summary(report))


def to_table(report):
    """A fixed-width table, each finding followed by why and how to fix."""
    info = summary(report)
    seen = seen_line(report)
    if not report.findings:
        return 'No findings: %s.\n' % seen
    rows_ = [[_cell(getattr(f, attribute)) for _, attribute in TABLE_COLUMNS]
             for f in report.findings]
    widths = [max(len(header), *(len(row[i]) for row in rows_))
              for i, (header, _) in enumerate(TABLE_COLUMNS)]
    lines = ['  '.join(header.ljust(width) for (header, _), width in zip(
        TABLE_COLUMNS, widths)).rstrip()]
    for finding, row in zip(report.findings, rows_):
        lines.append('  '.join(cell.ljust(width) for cell, width in zip(
            row, widths)).rstrip())
        severity = finding.severity
        if report.is_acknowledged(finding):
            severity += ' (acknowledged)'
        lines.append('    %s: %s' % (severity, finding.explanation))
        lines.append('    remedy: %s' % finding.remedy)
    counted = ', '.join('%s: %d' % item for item in info['counts'].items()
                        if item[1])
    acknowledged = ('; %d acknowledged' % info['acknowledged']
                    if info['acknowledged'] else '')
    lines.append('')
    lines.append('%d finding(s) (%s)%s; %s.' % (
        len(report.findings), counted, acknowledged, seen))
    return '\n'.join(lines) + '\n'
