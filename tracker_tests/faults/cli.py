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
"""The fault files' command line.

Shared by ``tools/localcloud compute fault`` and ``tools/localcloud
placement fault``, and usable on any cloud where this package is
installed (devstack: on the compute host, for its state_path)::

    python -m tracker_tests.faults.cli compute --state-path DIR \
        METHOD raise|sleep|sleep-raise [--seconds N] [--count K] \
        [--exception NAME] [--instance UUID]
    python -m tracker_tests.faults.cli compute --state-path DIR clear|show
    python -m tracker_tests.faults.cli placement --file PATH \
        METHOD PATH_REGEX 409|503|delay [--seconds N] [--count K]
    python -m tracker_tests.faults.cli placement --file PATH clear|show

Bad input exits 2 with a message naming what is wrong.
"""

import argparse
import os
import sys

from tracker_tests.faults import spec

EXIT_USAGE = 2


class DriverNotRunning(Exception):
    """The compute never started the fault driver: nothing to check
    a fault against, and nothing would inject it.
    """


#: The words after the compute (or the state path), and after Placement's.
COMPUTE_USAGE = ('METHOD raise|sleep|sleep-raise|hold [--seconds N] '
                 '[--count K] [--exception NAME] [--instance UUID] | '
                 'release | clear | show')
PLACEMENT_USAGE = ('METHOD PATH_REGEX 409|503|delay [--seconds N] '
                   '[--count K] | clear | show')


def _add_words_and_count(parser, words, counted, release=''):
    parser.add_argument('what', nargs='+', metavar='WORD',
                        help=words + '; or %sclear (remove every pending '
                        'fault), or show' % release)
    parser.add_argument('--count', type=int, metavar='K',
                        help='how many %s the fault lasts (default 1)'
                        % counted)


def add_compute_arguments(parser):
    _add_words_and_count(
        parser, 'a ComputeDriver method (update_provider_tree, spawn, '
        'migrate_disk_and_power_off, ...) and the fault of its next calls: '
        '%s' % ', '.join(spec.COMPUTE_ACTIONS), 'calls',
        release='release (let a held call go on), ')
    parser.add_argument('--seconds', type=float, metavar='N',
                        help='how long sleep and sleep-raise sleep')
    parser.add_argument('--exception', metavar='NAME',
                        help='a class of nova.exception to raise '
                             '(default %s)' % spec.DEFAULT_EXCEPTION)
    parser.add_argument('--instance', metavar='UUID',
                        help='only calls about this server (default %s: '
                             'every call, with or without a server)'
                             % spec.ANY_INSTANCE)


def add_placement_arguments(parser):
    _add_words_and_count(
        parser, 'an HTTP method, a regular expression searched in the '
        'request path and the status to answer with: 409 (a consumer '
        'generation conflict, placement.concurrent_update) or 503, or '
        '%s (Placement serves it --seconds late)' % spec.DELAY,
        'requests')
    parser.add_argument('--seconds', type=float, metavar='N',
                        help='how long %s holds each request' % spec.DELAY)


def _given(args, names):
    return ['--' + n for n in names if getattr(args, n, None) is not None]


def _listing(label, fault_file, faults):
    held = fault_file.held()
    lines = ['%s: holding a call: %s' % (label, held)] if held else []
    if not faults:
        # "no pending faults" says that every fault was taken and every
        # call it held went on: tests wait for that line.
        return '\n'.join(lines or ['%s: no pending faults' % label])
    return '\n'.join(lines + ['%s: %d pending fault%s (%s)' % (
        label, len(faults), 's' if len(faults) > 1 else '',
        fault_file.path)] + ['  ' + f.describe() for f in faults])


def pending_in_listing(listing, method=None):
    """Whether ``show``'s output lists a fault not yet taken (of
    ``method`` only, when given) or, without a method, a call still held.

    Tests and tools outside this process read the listing; this is the one
    place that knows its format.
    """
    listing = listing.strip()
    if method is None:
        return not listing.endswith('no pending faults')
    return any(line.startswith('  %s:' % method)
               for line in listing.splitlines())


def _clear_or_show(label, fault_file, args, options):
    word = args.what[0]
    extra = _given(args, options)
    if extra:
        raise spec.FaultError('%s takes no options (got %s)'
                              % (word, ', '.join(extra)))
    if word == 'clear':
        cleared = fault_file.clear()
        return '%s: cleared %d pending fault%s' % (
            label, len(cleared), '' if len(cleared) == 1 else 's')
    if word == 'release':
        return '%s: %s' % (label, 'released the held call'
                           if fault_file.release() else 'no call was held')
    return _listing(label, fault_file, fault_file.pending())


def compute_command(label, state_path, args):
    """Run ``args`` (add_compute_arguments) on a compute's fault file."""
    fault_file = spec.compute_fault_file(state_path)
    if args.what in (['clear'], ['show'], ['release']):
        return _clear_or_show(label, fault_file, args,
                              ('seconds', 'count', 'exception', 'instance'))
    if len(args.what) != 2:
        raise spec.FaultError(
            'expected METHOD and one of %s, or release, clear or show; '
            'got: %s'
            % (', '.join(spec.COMPUTE_ACTIONS), ' '.join(args.what)))
    info = spec.read_driver_info(state_path)
    if info is None:
        raise DriverNotRunning(
            '%s has not started tracker_tests\' fault driver (no %s): '
            'its compute_driver must be one of tracker_tests.faults.'
            'compute\'s, and nova-compute must have started once' % (
                label, os.path.join(state_path, spec.DRIVER_INFO_FILE)))
    method, action = args.what
    try:
        fault = spec.ComputeFault(
            method, action,
            count=1 if args.count is None else args.count,
            seconds=args.seconds or 0,
            exception=args.exception or spec.DEFAULT_EXCEPTION,
            instance=args.instance,
        ).validated(info['methods'], info['exceptions'])
    except spec.FaultError as exc:
        raise spec.FaultError('%s (%s): %s' % (label, info['driver'], exc))
    fault_file.add(fault)
    return '%s: %s' % (label, fault.describe())


def placement_command(fault_path, args):
    """Run ``args`` (add_placement_arguments) on Placement's fault file."""
    fault_file = spec.FaultFile(fault_path, spec.PlacementFault)
    if args.what in (['clear'], ['show']):
        return _clear_or_show('placement', fault_file, args,
                              ('count', 'seconds'))
    if len(args.what) != 3:
        raise spec.FaultError(
            'expected METHOD PATH_REGEX STATUS, or clear, or show; got: %s'
            % ' '.join(args.what))
    method, path, status = args.what
    if status == spec.DELAY and args.seconds is None:
        raise spec.FaultError('%s needs --seconds N' % spec.DELAY)
    fault = spec.PlacementFault(
        method, path, status,
        count=1 if args.count is None else args.count,
        seconds=args.seconds or 0.0).validated()
    os.makedirs(os.path.dirname(os.path.abspath(fault_path)),
                exist_ok=True)
    fault_file.add(fault)
    return 'placement: %s' % fault.describe()


def parser():
    p = argparse.ArgumentParser(
        prog='python -m tracker_tests.faults.cli',
        description='Set, clear or show the faults of tracker_tests\' '
                    'fault driver (a compute) or Placement middleware.')
    sub = p.add_subparsers(dest='target', required=True)
    compute = sub.add_parser(
        'compute', help='a compute\'s driver faults',
        usage='%(prog)s --state-path DIR ' + COMPUTE_USAGE)
    compute.add_argument('--state-path', required=True, metavar='DIR',
                         help='the compute\'s [DEFAULT] state_path')
    add_compute_arguments(compute)
    placement = sub.add_parser(
        'placement', help='Placement\'s faults',
        usage='%(prog)s --file PATH ' + PLACEMENT_USAGE)
    placement.add_argument('--file', required=True, metavar='PATH',
                           help='the fault file the middleware reads')
    add_placement_arguments(placement)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.target == 'compute':
            print(compute_command(os.uname().nodename, args.state_path,
                                  args))
        else:
            print(placement_command(args.file, args))
    except spec.FaultError as exc:
        print('error: %s' % exc, file=sys.stderr)
        return EXIT_USAGE
    except DriverNotRunning as exc:
        print('error: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
