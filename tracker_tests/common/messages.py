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
"""The audit's findings as the lines of a failing test's message."""

import collections

#: A test's whole failure message travels in one subunit packet, and a
#: message of a few MB (a few thousand findings) makes the test vanish
#: from the results instead of failing.
MAX_LISTED_FINDINGS = 200


def finding_line(finding):
    """One finding on one line: consumer, provider, class, expected, actual,
    why and the remedy.
    """
    parts = [finding.kind]
    if finding.consumer:
        parts.append('consumer %s' % finding.consumer)
    if finding.provider or finding.host:
        parts.append('on provider %s (host %s)' % (
            finding.provider, finding.host))
    if finding.resource_class:
        parts.append(finding.resource_class)
    parts.append('expected %s, actual %s' % (finding.expected,
                                             finding.actual))
    return '%s: %s [remedy: %s]' % (
        ' '.join(parts), finding.explanation, finding.remedy)


def finding_lines(findings, limit=MAX_LISTED_FINDINGS):
    """Findings as a failure message's lines, at most ``limit`` of them;
    the rest are counted by kind.
    """
    lines = ['  - %s %s' % (finding.severity, finding_line(finding))
             for finding in findings[:limit]]
    rest = findings[limit:]
    if rest:
        counts = collections.Counter(finding.kind for finding in rest)
        lines.append('  ... and %d more (%s); tracker-audit lists them all '
                     'with their remedies' % (len(rest), ', '.join(
                         '%d %s' % (count, kind)
                         for kind, count in sorted(counts.items()))))
    return lines
