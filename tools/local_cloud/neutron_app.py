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
"""Neutron's API application, with its ORM mappers configured up front.

Neutron's port queries name ``Port.port_forwardings``, a backref that only
exists once SQLAlchemy has configured the mappers. A lone API process whose
first request lists ports (Nova's does, when it deletes a server) fails with
AttributeError until some other query configured them.
"""

from neutron.wsgi.api import application  # noqa: F401
from sqlalchemy import orm

orm.configure_mappers()
