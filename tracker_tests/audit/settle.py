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

"""The audit's single entry point: read, check, and re-read to confirm.

The cloud moves while it is read: a server deleted between the Placement
and the Nova reads looks like an orphan for a moment. A finding is only
reported when a second read ``settle`` seconds later finds it again
(same kind, host, provider, consumer and resource class; the amounts may
differ).
"""

import dataclasses
import time

from tracker_tests.audit import checks
from tracker_tests.audit import snapshot as snapshot_mod


@dataclasses.dataclass
class AuditResult:
    findings: list
    snapshot: snapshot_mod.Snapshot
    seconds: float
    #: Findings of the first read that were gone on the second one.
    transient: list = dataclasses.field(default_factory=list)
    reads: int = 1


def audit(reader, scope=None, kinds=None, settle=3.0, max_workers=8,
          progress=None, sleep=time.sleep, clock=time.monotonic):
    """Collect, check, and confirm findings with a second read.

    ``settle`` <= 0 reports the first read's findings as they are.
    Unknown ``kinds`` raise checks.UnknownKind before anything is read.
    """
    kinds = checks.validate_kinds(kinds)
    started = clock()
    snapshot = snapshot_mod.collect(reader, scope, max_workers, progress)
    findings = checks.run_checks(snapshot, kinds)
    if not findings or settle <= 0:
        return AuditResult(findings=findings, snapshot=snapshot,
                           seconds=clock() - started)
    sleep(settle)
    snapshot = snapshot_mod.collect(reader, scope, max_workers, progress)
    first_keys = {finding.key for finding in findings}
    confirmed = [finding for finding in checks.run_checks(snapshot, kinds)
                 if finding.key in first_keys]
    confirmed_keys = {finding.key for finding in confirmed}
    return AuditResult(
        findings=confirmed, snapshot=snapshot, seconds=clock() - started,
        transient=[f for f in findings if f.key not in confirmed_keys],
        reads=2)
