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
"""The whole cloud audited as tracker-audit does it, as a tempest test.

It boots nothing and only reads (GET requests), so it is safe on a
production cloud; it is off unless [tracker] whole_cloud_audit is True
because it also reports leaks that were there before the tests ran.
"""

from tempest import config
from tempest.lib import decorators
from tempest import test

from tracker_tests.audit import settle
from tracker_tests.common import messages
from tracker_tests.common import tempest_reader

CONF = config.CONF

# A whole-cloud read costs two Placement GETs a provider: on a large cloud
# re-reading every [tracker] poll_interval would be a load of its own.
MIN_RE_READ_INTERVAL = 5.0


def findings_message(result):
    """The audit's findings, one a line with its remedy (the first 200)."""
    if result.reads > 1:
        how = ('seen by each of %d reads over %g s'
               % (result.reads, CONF.tracker.whole_cloud_settle))
    else:
        how = 'from one read'
    lines = ['the audit of the whole cloud has %d finding(s) (%s):' % (
        len(result.findings), how)]
    lines += messages.finding_lines(result.findings)
    return '\n'.join(lines)


# Holds tempest's serial write lock: no other test of the run moves
# servers while the whole cloud is read.
@decorators.serial
class WholeCloudAuditTest(test.BaseTestCase):
    """Placement and Nova agree everywhere, not only on the tests' hosts."""

    credentials = ['admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.tracker.whole_cloud_audit:
            raise cls.skipException('[tracker] whole_cloud_audit is False')
        if not CONF.service_available.nova:
            raise cls.skipException('[service_available] nova is False')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.reader = tempest_reader.TempestReader.for_manager(cls.os_admin)

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('915c6f6c-8ca4-4876-93f4-2408cb26726c')
    def test_whole_cloud_audit(self):
        # Re-read until what the previous tests' moves left in flight has
        # caught up (a restarted compute reports running_vms on its next
        # periodic run), so only what lasts the whole settle time fails.
        result = settle.audit(self.reader, scope=None,
                              settle=CONF.tracker.whole_cloud_settle,
                              interval=max(CONF.tracker.poll_interval,
                                           MIN_RE_READ_INTERVAL))
        if result.findings:
            self.fail(findings_message(result))
