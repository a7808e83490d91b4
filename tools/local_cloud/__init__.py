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
"""A real one-machine Nova cloud for tracker_tests, all on 127.0.0.1.

Only the standard library is imported at module level: ``status``, ``down``
and ``compute`` must work before the cloud's virtualenv exists. What needs
OpenStack libraries (provisioning through openstacksdk) runs inside the
cloud's own virtualenv.
"""
