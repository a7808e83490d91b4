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
"""A private MariaDB instance: own data directory, own port, loopback only."""

import subprocess

from local_cloud import layout as layout_mod
from local_cloud import supervisor


def _dir(layout):
    return layout.data / 'mariadb'


def socket_path(layout):
    return layout.run / 'mariadb.sock'


def process_specs(ctx):
    layout = ctx.layout
    return [supervisor.ProcessSpec(
        name='mariadb',
        argv=['mariadbd', '--no-defaults',
              '--datadir=%s' % _dir(layout),
              '--socket=%s' % socket_path(layout),
              '--port=%d' % layout.ports['mariadb'],
              '--bind-address=%s' % layout_mod.HOST,
              '--skip-name-resolve',
              '--user=root',
              '--max-connections=1000',
              '--innodb-buffer-pool-size=256M',
              # Nova and neutron commit many small transactions; durability
              # across a machine crash does not matter for a test cloud.
              '--innodb-flush-log-at-trx-commit=2',
              '--character-set-server=utf8mb4',
              '--log-error=%s' % (layout.logs / 'mariadb.log')],
        ports=('mariadb',), ready='tcp')]


def prepare(ctx):
    """Create the data directory once (mariadb-install-db)."""
    layout = ctx.layout
    if (_dir(layout) / 'mysql').is_dir():
        return
    _dir(layout).mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    with open(layout.logs / 'mariadb-install.log', 'ab') as log:
        subprocess.run(
            ['mariadb-install-db', '--no-defaults',
             '--datadir=%s' % _dir(layout), '--user=root',
             '--auth-root-authentication-method=normal',
             '--skip-test-db'],
            stdout=log, stderr=subprocess.STDOUT, check=True)


def sql(layout, statement):
    """Run SQL as root over the private socket (root has no TCP access).

    The statement goes on stdin: it may set a password, which must not
    show in the process list.
    """
    subprocess.run(
        ['mariadb', '--no-defaults', '--socket=%s' % socket_path(layout),
         '-uroot'],
        input=statement + ';\n', text=True, check=True,
        stdout=subprocess.DEVNULL)


def create_databases(layout, password, names):
    """The databases ``names`` and one loopback user owning them."""
    statements = [
        "CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s'" % (
            layout_mod.DB_USER, layout_mod.HOST, password),
        "GRANT ALL PRIVILEGES ON *.* TO '%s'@'%s'" % (
            layout_mod.DB_USER, layout_mod.HOST),
    ]
    statements += ['CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8'
                   % name for name in names]
    sql(layout, '; '.join(statements))
