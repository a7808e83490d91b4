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
"""Server actions that act and wait, as Nova's functional helpers do.

One helper per action (nova/tests/functional/integrated_helpers.py:
_live_migrate, _evacuate_server, _shelve_server, ...): each sends the
request and waits for the state that says Nova is done, so a scenario
reads as a sequence of actions and assertions. Servers and migrations come
back as the audit's snapshot records (validated reads).
"""

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc
from testtools import content

from tracker_tests.audit import lookups
from tracker_tests.audit import snapshot
from tracker_tests.common import waiters

CONF = config.CONF

#: Statuses of a live migration that is over, however it ended.
LIVE_MIGRATION_ENDED = ('completed', 'error', 'failed', 'cancelled')
#: Statuses of a migration that has started and not yet succeeded.
MIGRATION_STARTED = ('pre-migrating', 'migrating', 'post-migrating',
                     'finished', 'error')


class ServerActionsMixin:
    """Boot, move, shelve, rebuild and delete; each waits until done.

    Needs ``servers_client``, ``admin_servers_client``,
    ``server_migrations_client``, ``reader``, ``poller`` and
    ``compute_service``.
    """

    def create_server(self, flavor=None, host=None, wait_until='ACTIVE',
                      forced_host=None, zone=None):
        """Boot a server (networks 'none'); it is deleted at cleanup.

        ``host`` pins it (2.74, admin only); ``forced_host`` forces it the
        old way, through the availability zone "ZONE:HOST" (admin only),
        which skips the scheduler's filters and stays in the server's
        request spec as a forced host. ``zone`` boots it into that
        availability zone, which its request spec keeps for every move
        (a server booted without one may move to any zone). The primary
        user boots it when none of them is given, as a cloud user would.
        ``wait_until`` None returns as soon as Nova accepted it.
        """
        if host and forced_host:
            raise ValueError('pin the server (host) or force it '
                             '(forced_host), not both')
        if zone and forced_host:
            raise ValueError('forced_host names the zone itself; '
                             'zone %r given too' % zone)
        flavor = flavor or self.flavor
        kwargs = {}
        if host:
            kwargs['host'] = host
        if zone:
            kwargs['availability_zone'] = zone
        if forced_host:
            kwargs['availability_zone'] = '%s:%s' % (
                self.compute_service(forced_host).zone, forced_host)
        client = self.admin_servers_client if kwargs else self.servers_client
        body = client.create_server(
            name=data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                      name=self.__class__.__name__),
            imageRef=CONF.compute.image_ref, flavorRef=flavor['id'],
            networks='none', **kwargs)['server']
        self.own_servers.append(body['id'])
        self.own_consumers.add(body['id'])
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.delete_server, body['id'])
        if wait_until:
            return self.wait_for_server(body['id'], wait_until)
        return self.show_server(body['id'])

    def delete_server(self, server_id):
        """Delete and wait until Nova no longer shows the server."""
        self.admin_servers_client.delete_server(server_id)
        self.wait_until_gone(server_id)

    def settled_or_gone(self, server_id):
        """Wait until the server has no task left or is gone; returns
        it, or None once gone.
        """
        def settled():
            server = self.show_server(server_id)
            if server is None:
                return 'gone'
            return server if lookups.server_is_settled(server) else None

        result = self.poller.until(settled, lambda: (
            'server %s is still busy' % server_id))
        return None if result == 'gone' else result

    def wait_until_gone(self, server_id):
        """Wait until a delete sent earlier is done."""
        waiters.wait_for_server_gone(self.reader, self.poller, server_id)

    def show_server(self, server_id):
        return snapshot.show_server(self.reader, server_id)

    def wait_for_server(self, server_id, status, also=None, task_state=None):
        """The server once in ``status`` (one or a tuple) with
        ``task_state`` (None: no task in progress) and ``also(server)``
        true; ERROR fails unless awaited.
        """
        return waiters.wait_for_server_status(
            self.reader, self.poller, server_id, status, also, task_state)

    def wait_for_migration(self, server_id, migration_type, statuses,
                           poller=None):
        """The server's newest migration of that type, once in statuses.

        Its uuid becomes one of this test's consumers.
        """
        migration = waiters.wait_for_migration_status(
            self.reader, poller or self.poller, server_id, migration_type,
            statuses)
        self.own_consumers.add(migration.uuid)
        return migration

    def wait_for_event_finished(self, server_id, event):
        """Wait until the server's newest instance-action event ``event``
        (compute_resize_instance, ...) has finished; also for a deleted
        server (2.21). Returns the event (result, and for an admin the
        traceback).

        A call parked by a fault goes on after the test acted: its end is
        what makes the end state final.
        """
        last = {}

        def finished():
            actions = self.admin_servers_client.list_instance_actions(
                server_id)['instanceActions']
            for action in sorted(actions, key=lambda a: a['start_time'],
                                 reverse=True):
                events = self.admin_servers_client.show_instance_action(
                    server_id, action['request_id'])['instanceAction'].get(
                        'events', [])
                for found in events:
                    if found['event'] == event:
                        last['event'] = found
                        return found if found['finish_time'] else None
            return None

        return self.poller.until(finished, lambda: (
            'event %s of server %s did not finish; last seen %s'
            % (event, server_id, last.get('event'))))

    def event_hosts(self, server_id, action, event):
        """Hosts of the server's ``event`` events (compute_prep_resize,
        ...) in its first ``action`` (create, resize, ...): where Nova
        tried it, rescheduled or not. A set: event times are whole
        seconds, and a call that fails into a reschedule ends as a success.
        """
        actions = [a for a in self.admin_servers_client.list_instance_actions(
            server_id)['instanceActions'] if a['action'] == action]
        if not actions:
            self.fail('server %s has no %s action' % (server_id, action))
        first = min(actions, key=lambda a: a['start_time'])
        events = self.admin_servers_client.show_instance_action(
            server_id, first['request_id'])['instanceAction']['events']
        return {e.get('host') for e in events if e['event'] == event}

    def newest_migration(self, server_id, migration_type):
        """The server's newest migration of that type, as it is now."""
        return waiters.newest_migration(self.reader, server_id,
                                        migration_type)

    # -- resize and cold migration ---------------------------------------

    def resize_server(self, server_id, flavor):
        """Resize to ``flavor``; returns (server, migration) in
        VERIFY_RESIZE.
        """
        self.admin_servers_client.resize_server(server_id, flavor['id'])
        return (self.wait_for_server(server_id, 'VERIFY_RESIZE'),
                self.wait_for_migration(server_id, 'resize', 'finished'))

    def cold_migrate_server(self, server_id, host=None):
        """Cold migrate (to ``host``, 2.56); returns (server, migration) in
        VERIFY_RESIZE.
        """
        kwargs = {'host': host} if host else {}
        self.admin_servers_client.migrate_server(server_id, **kwargs)
        return (self.wait_for_server(server_id, 'VERIFY_RESIZE'),
                self.wait_for_migration(server_id, 'migration', 'finished'))

    def confirm_resize(self, server_id, migration):
        self.admin_servers_client.confirm_resize_server(server_id)
        server = self.wait_for_server(server_id, 'ACTIVE')
        # The source compute frees the migration's allocation after the
        # server is ACTIVE; 'confirmed' says it has.
        self.wait_for_migration(server_id, migration.migration_type,
                                'confirmed')
        return server

    def revert_resize(self, server_id, migration):
        self.admin_servers_client.revert_resize_server(server_id)
        server = self.wait_for_server(server_id, 'ACTIVE')
        self.wait_for_migration(server_id, migration.migration_type,
                                'reverted')
        return server

    # -- live migration ----------------------------------------------------

    def live_migrate_server(self, server_id, host=None):
        """Live migrate (block migration auto); returns (server,
        migration) once the migration is completed.
        """
        self.admin_servers_client.live_migrate_server(
            server_id, host=host, block_migration='auto')
        migration = self.wait_for_migration(server_id, 'live-migration',
                                            'completed')
        return self.wait_for_server(server_id, 'ACTIVE'), migration

    def let_live_migration_end_at_cleanup(self, server_id):
        """At cleanup, once what held it is released and before the
        server is deleted (register it in between), wait until the
        server's live migration, if one started, ended: a delete racing
        the migration is another test's subject, and may leave the
        migration's allocation behind.
        """
        def ended():
            if waiters.newest_migration(self.reader, server_id,
                                        'live-migration') is not None:
                self.wait_for_migration(server_id, 'live-migration',
                                        LIVE_MIGRATION_ENDED)
        self.addCleanup(ended)

    def start_live_migration(self, server_id, host):
        """Start a live migration to ``host``; returns it once running.

        Polls fast: a slow live migration may still end on its own soon.
        """
        self.admin_servers_client.live_migrate_server(
            server_id, host=host, block_migration='auto')
        fast = waiters.Poller(CONF.compute.build_timeout,
                              min(CONF.tracker.poll_interval, 0.2))
        return self.wait_for_migration(server_id, 'live-migration',
                                       'running', poller=fast)

    def abort_live_migration(self, server_id, migration):
        """Abort (2.24) a running live migration; returns the server once
        the migration is cancelled.
        """
        self.server_migrations_client.abort_live_migration(server_id,
                                                           migration.id)
        self.wait_for_migration(server_id, 'live-migration', 'cancelled')
        return self.wait_for_server(server_id, 'ACTIVE')

    def force_complete_live_migration(self, server_id, migration):
        """Force (2.22) a running live migration to complete; returns the
        server once the migration is completed.
        """
        self.server_migrations_client.force_complete_live_migration(
            server_id, migration.id)
        self.wait_for_migration(server_id, 'live-migration', 'completed')
        return self.wait_for_server(server_id, 'ACTIVE')

    # -- evacuate, shelve, rebuild ------------------------------------------

    def evacuate_server(self, server_id, host=None):
        """Evacuate (to ``host``); returns (server, migration) once the
        server is ACTIVE on its new host and the migration done.
        """
        kwargs = {'host': host} if host else {}
        self.admin_servers_client.evacuate_server(server_id, **kwargs)
        migration = self.wait_for_migration(server_id, 'evacuation', 'done')
        return self.wait_for_server(server_id, 'ACTIVE'), migration

    def shelve_server(self, server_id):
        """Shelve and offload; returns the server once offloaded.

        A cloud with a shelved_offload_time keeps a shelved server on its
        host for a while: it is offloaded now.
        """
        self.admin_servers_client.shelve_server(server_id)
        server = self.wait_for_server(server_id,
                                      ('SHELVED', 'SHELVED_OFFLOADED'))
        if server.status == 'SHELVED':
            self.admin_servers_client.shelve_offload_server(server_id)
        return self.wait_for_offloaded(server_id)

    def shelve_offload_server(self, server_id):
        self.admin_servers_client.shelve_offload_server(server_id)
        return self.wait_for_offloaded(server_id)

    def wait_for_offloaded(self, server_id):
        # The compute sets SHELVED_OFFLOADED, frees the resources, and only
        # then clears the server's host.
        return self.wait_for_server(server_id, 'SHELVED_OFFLOADED',
                                    also=lambda server: server.host is None)

    def unshelve_server(self, server_id, host=None):
        """Unshelve (to ``host``, 2.91); returns the server once ACTIVE."""
        kwargs = {'host': host} if host else {}
        self.admin_servers_client.unshelve_server(server_id, **kwargs)
        return self.wait_for_server(server_id, 'ACTIVE')

    def rebuild_server(self, server_id, image_ref=None):
        """Rebuild with ``image_ref`` (default [compute] image_ref);
        returns the server once ACTIVE again.
        """
        self.admin_servers_client.rebuild_server(
            server_id, image_ref or CONF.compute.image_ref)
        return self.wait_for_server(server_id, 'ACTIVE')

    # -- moves that must not happen ----------------------------------------

    def expect_refused_or_failed(self, action, server_id, migration_type):
        """Run a move that must not happen.

        Nova refuses it at the API (4xx) or records a migration that ends
        in 'error' or 'failed'; returns that migration, or None.
        """
        try:
            action()
        except (lib_exc.BadRequest, lib_exc.Conflict) as exc:
            self.addDetail('refused', content.text_content(str(exc)))
            return None
        return self.wait_for_migration(server_id, migration_type,
                                       ('error', 'failed'))
