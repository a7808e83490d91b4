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
"""Where the local cloud keeps its state, and which ports it listens on."""

import dataclasses
import os
import pathlib

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

HOST = '127.0.0.1'
REGION = 'RegionOne'
DB_USER = 'localcloud'


def _default_ports():
    # Imported here: the services' modules import this one.
    from local_cloud import services
    return services.default_ports()


@dataclasses.dataclass(frozen=True)
class Layout:
    """All paths of one local cloud, derived from its state directory."""

    root: pathlib.Path
    #: Port name -> port; by default the services' own (services.py).
    ports: dict = dataclasses.field(default_factory=_default_ports)

    @classmethod
    def from_env(cls, root=None):
        root = root or os.environ.get('LOCALCLOUD_DIR') or (
            REPO_ROOT / '.localcloud')
        return cls(root=pathlib.Path(root).resolve())

    @property
    def venv(self):
        return self.root / 'venv'

    def venv_bin(self, name):
        return self.venv / 'bin' / name

    @property
    def etc(self):
        return self.root / 'etc'

    @property
    def logs(self):
        return self.root / 'logs'

    @property
    def run(self):
        return self.root / 'run'

    @property
    def data(self):
        return self.root / 'data'

    @property
    def secrets_file(self):
        return self.root / 'secrets.json'

    @property
    def clouds_yaml(self):
        return self.root / 'clouds.yaml'

    @property
    def tempest_dir(self):
        return self.root / 'tempest'

    @property
    def tempest_conf(self):
        return self.tempest_dir / 'etc' / 'tempest.conf'

    @property
    def state_file(self):
        """What the last successful ``up`` built (computes, flavors)."""
        return self.root / 'cloud.json'

    def url(self, service, path=''):
        return 'http://%s:%d%s' % (HOST, self.ports[service], path)

    def db_url(self, database, password):
        return 'mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8' % (
            DB_USER, password, HOST, self.ports['mariadb'], database)

    def transport_url(self):
        return 'rabbit://guest:guest@%s:%d/' % (HOST, self.ports['rabbitmq'])
