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

"""Render an audit's findings as a table or as JSON (doc/audit.rst).

The JSON schema is public: keys may be added, never renamed or removed.
"""

import json

from tracker_tests.audit import checks

TABLE_COLUMNS = (
    ('KIND', 'kind'), ('HOST', 'host'), ('PROVIDER', 'provider'),
    ('CONSUMER', 'consumer'), ('CLASS', 'resource_class'),
    ('EXPECTED', 'expected'), ('ACTUAL', 'actual'))


def summary(result, kinds=None, requests=None):
    """The ``summary`` object of the JSON output."""
    snapshot = result.snapshot
    counts = {kind: 0 for kind in checks.validate_kinds(kinds)}
    for finding in result.findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    providers_read = set(snapshot.whole_providers) | {
        provider for provider, by_consumer in snapshot.allocations.items()
        if by_consumer}
    return {
        'counts': counts,
        'providers': len(providers_read),
        'servers': len(snapshot.servers),
        'consumers': len(snapshot.consumers()),
        'seconds': round(result.seconds, 3),
        'reads': result.reads,
        'requests': requests,
    }


def to_json(result, kinds=None, requests=None):
    document = {
        'findings': [finding.to_dict() for finding in result.findings],
        'summary': summary(result, kinds, requests),
    }
    return json.dumps(document, indent=2, sort_keys=True)


def _cell(value):
    if value is None:
        return '-'
    if isinstance(value, dict):
        return ','.join('%s=%s' % item for item in sorted(value.items())) or (
            '{}')
    return str(value)


def to_table(result, kinds=None, requests=None):
    """A fixed-width table, each finding followed by why and how to fix."""
    info = summary(result, kinds, requests)
    seen = ('%(providers)d providers, %(servers)d servers, %(consumers)d '
            'consumers read in %(seconds).1f s' % info)
    if not result.findings:
        return 'No findings: %s.' % seen
    rows = [[_cell(getattr(f, attribute)) for _, attribute in TABLE_COLUMNS]
            for f in result.findings]
    widths = [max(len(header), *(len(row[i]) for row in rows))
              for i, (header, _) in enumerate(TABLE_COLUMNS)]
    lines = ['  '.join(header.ljust(width) for (header, _), width in zip(
        TABLE_COLUMNS, widths)).rstrip()]
    for finding, row in zip(result.findings, rows):
        lines.append('  '.join(cell.ljust(width) for cell, width in zip(
            row, widths)).rstrip())
        lines.append('    %s: %s' % (finding.severity, finding.explanation))
        lines.append('    remedy: %s' % finding.remedy)
    counted = ', '.join('%s: %d' % item for item in info['counts'].items()
                        if item[1])
    lines.append('')
    lines.append('%d finding(s) (%s); %s.' % (
        len(result.findings), counted, seen))
    return '\n'.join(lines)
