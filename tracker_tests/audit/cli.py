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

"""tracker-audit: report leaks and disagreements between Placement and Nova.

Exit codes follow ``nova-manage placement audit``: 0 no finding, 3
findings, 1 error (unreachable service, missing endpoint, failed
authentication), 2 bad usage. Read-only: it only sends GETs.
"""

import argparse
import logging
import sys

from keystoneauth1 import exceptions as ks_exceptions
import openstack
from openstack import config as sdk_config
from openstack import exceptions as sdk_exceptions

from tracker_tests.audit import checks
from tracker_tests.audit import reader
from tracker_tests.audit import report
from tracker_tests.audit import sdk_reader
from tracker_tests.audit import settle as settle_mod
from tracker_tests.audit import snapshot

EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3

PROG = 'tracker-audit'
#: Below this many providers a read is quick enough to need no progress.
PROGRESS_MIN_PROVIDERS = 200
#: Auth option names whose values must never reach the output.
SECRET_AUTH_KEYS = ('password', 'token', 'secret', 'passcode', 'totp')


class UsageError(Exception):
    """Bad command line; the message names the flag."""


class RedactingFilter(logging.Filter):
    """Replace known secret strings in log records with '***'.

    keystoneauth already hashes tokens and masks passwords in its debug
    log; this is the second line of defence for what it does not know is a
    secret (an application credential secret in a URL, a token echoed in
    an error body).
    """

    def __init__(self):
        super().__init__()
        self.secrets = set()

    def add(self, secret):
        if secret and len(str(secret)) >= 4:
            self.secrets.add(str(secret))

    def redact(self, text):
        for secret in self.secrets:
            text = text.replace(secret, '***')
        return text

    def filter(self, record):
        if self.secrets:
            record.msg = self.redact(record.getMessage())
            record.args = ()
        return True


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Find allocations that leaked or disagree between '
                    'Placement and Nova, with the command that repairs '
                    'each. Never writes to the cloud.',
        epilog='Exit codes: 0 no finding, 3 findings, 1 error, 2 bad '
               'usage. Finding kinds: %s.' % ', '.join(checks.KINDS))
    parser.add_argument(
        '--format', choices=('table', 'json'), default='table',
        help='Output format (default: table). The JSON schema is in '
             'doc/audit.rst.')
    parser.add_argument(
        '--host', action='append', dest='hosts', metavar='HOST',
        help='Audit only this compute host (repeatable).')
    parser.add_argument(
        '--kind', action='append', dest='kinds', metavar='KIND',
        help='Report only this finding kind (repeatable).')
    parser.add_argument(
        '--settle', type=float, default=3.0, metavar='SECONDS',
        help='Re-read after this many seconds and report only findings '
             'seen both times; 0 reports the first read (default: 3).')
    parser.add_argument(
        '--settle-interval', type=float, metavar='SECONDS',
        help='Re-read every SECONDS during --settle instead of once at its '
             'end, stop as soon as the findings are gone, and report only '
             'findings seen by every read.')
    parser.add_argument(
        '--workers', type=int, default=8, metavar='N',
        help='Concurrent GET requests (default: 8).')
    parser.add_argument(
        '--debug', action='store_true',
        help='Log every request on stderr (tokens and passwords are '
             'redacted).')
    return parser


def _validated(args):
    """(scope, kinds) from the parsed flags; UsageError names the flag."""
    try:
        kinds = checks.validate_kinds(args.kinds)
    except checks.UnknownKind as exc:
        raise UsageError('--kind: %s' % exc)
    if args.settle < 0:
        raise UsageError('--settle: must be 0 or more, not %s' % args.settle)
    if args.settle_interval is not None and args.settle_interval <= 0:
        raise UsageError('--settle-interval: must be more than 0, not %s'
                         % args.settle_interval)
    if args.workers < 1:
        raise UsageError('--workers: must be 1 or more, not %s'
                         % args.workers)
    hosts = None
    if args.hosts:
        empty = [h for h in args.hosts if not h.strip()]
        if empty:
            raise UsageError('--host: empty host name')
        hosts = frozenset(h.strip() for h in args.hosts)
    return snapshot.Scope(hosts=hosts), kinds


def _configure_logging(debug, redactor):
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s %(name)s %(message)s'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    if debug:
        openstack.enable_logging(debug=True, http_debug=True,
                                 stream=None)
        # enable_logging adds its own handlers; keep only the redacting one.
        for name in ('openstack', 'keystoneauth'):
            logger = logging.getLogger(name)
            logger.handlers[:] = []
            logger.propagate = True
    return handler


def _progress_printer(stream):
    """A collect() progress callback drawing one line on a terminal."""
    def progress(done, total):
        if total < PROGRESS_MIN_PROVIDERS:
            return
        stream.write('\r%s: read %d/%d providers' % (PROG, done, total))
        if done == total:
            stream.write('\n')
        stream.flush()
    return progress


def _connect(args, cloud_config, redactor):
    """An authenticated Connection, or an exception to report."""
    try:
        region = cloud_config.get_one(argparse=args)
    except sdk_exceptions.ConfigException as exc:
        if 'was not found' in str(exc):
            raise UsageError('--os-cloud (or OS_CLOUD): %s' % exc)
        raise
    for key, value in (region.auth or {}).items():
        if any(word in key for word in SECRET_AUTH_KEYS):
            redactor.add(value)
    connection = openstack.connection.Connection(config=region)
    # Authenticate now so an unreachable or refusing Keystone is reported
    # as such, and so the token is known to the redacting filter.
    redactor.add(connection.session.get_token())
    return connection


def _error(message):
    print('%s: error: %s' % (PROG, ' '.join(str(message).split())),
          file=sys.stderr)
    return EXIT_ERROR


def _usage(parser, message):
    parser.print_usage(sys.stderr)
    print('%s: error: %s' % (PROG, message), file=sys.stderr)
    return EXIT_USAGE


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        cloud_config = sdk_config.OpenStackConfig()
        cloud_config.register_argparse_arguments(parser, argv)
    except sdk_exceptions.ConfigException as exc:
        if 'was not found' in str(exc):
            return _usage(parser, '--os-cloud (or OS_CLOUD): %s' % exc)
        return _error('cloud configuration: %s' % exc)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    redactor = RedactingFilter()
    handler = _configure_logging(args.debug, redactor)
    try:
        scope, kinds = _validated(args)
        connection = _connect(args, cloud_config, redactor)
        sdk = sdk_reader.SdkReader(connection)
        progress = (_progress_printer(sys.stderr)
                    if sys.stderr.isatty() else None)
        result = settle_mod.audit(sdk, scope=scope, kinds=kinds,
                                  settle=args.settle,
                                  interval=args.settle_interval,
                                  max_workers=args.workers,
                                  progress=progress)
    except snapshot.UnknownHosts as exc:
        return _usage(parser, '--host: %s' % exc)
    except UsageError as exc:
        return _usage(parser, exc)
    except reader.ReaderError as exc:
        return _error(exc)
    except ks_exceptions.Unauthorized as exc:
        return _error('identity: authentication failed: %s' % exc)
    except sdk_reader.UNREACHABLE_ERRORS as exc:
        return _error(reader.ServiceUnreachable('identity', exc))
    except (ks_exceptions.ClientException,
            sdk_exceptions.SDKException) as exc:
        return _error(redactor.redact(str(exc)))
    finally:
        logging.getLogger().removeHandler(handler)

    render = report.to_json if args.format == 'json' else report.to_table
    print(render(result, kinds, requests=sdk.requests))
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


if __name__ == '__main__':
    sys.exit(main())
