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

"""Findings an operator already knows of: --ignore UUID and --baseline FILE.

Monitoring runs the audit every few minutes; a leak waiting for a
maintenance window must not page anybody each time, while a new one must.
An acknowledged finding is still reported (marked as such) but does not
make the run exit 3.
"""

import json
import uuid

from tracker_tests.audit import report as report_mod


class BadAcknowledgement(ValueError):
    """An --ignore value or a --baseline file that cannot be used."""


def parse_ignored(values):
    """The set of UUIDs given with --ignore, normalised to lower case."""
    ignored = set()
    for value in values or ():
        try:
            ignored.add(str(uuid.UUID(value.strip())))
        except ValueError:
            raise BadAcknowledgement(
                '--ignore: %r is not a consumer or provider UUID' % value)
    return frozenset(ignored)


def load_baseline(path):
    """Identities of the findings of a previous ``-f json`` report."""
    try:
        with open(path) as source:
            document = json.load(source)
    except OSError as exc:
        raise BadAcknowledgement('--baseline %s: %s' % (
            path, exc.strerror or exc))
    except ValueError as exc:
        raise BadAcknowledgement('--baseline %s: not JSON (%s)' % (path, exc))
    findings = document.get('findings') if isinstance(document, dict) else None
    if not isinstance(findings, list) or not all(
            isinstance(f, dict) and 'kind' in f for f in findings):
        raise BadAcknowledgement(
            '--baseline %s: not a tracker-audit JSON report (expected an '
            'object with a "findings" list, as "tracker-audit -f json" '
            'writes)' % path)
    return frozenset(report_mod.identity(f) for f in findings)


def acknowledged(findings, ignored=frozenset(), baseline=frozenset()):
    """Identities of ``findings`` that --ignore or --baseline acknowledge."""
    keys = set()
    for finding in findings:
        # Finding.key is the identity of report.IDENTITY_FIELDS.
        if finding.key in baseline or ignored.intersection(
                (finding.consumer, finding.provider)):
            keys.add(finding.key)
    return frozenset(keys)
