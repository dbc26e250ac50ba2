"""Benchmark: the national youth ballot, on PostgreSQL under gunicorn, stepping the vote rate up to its ceiling.

Run with `make bench` (pytest -s), or on its own:
`.venv/bin/pytest -o python_files='bench_*.py' -s tests/bench/bench_ballot.py`. It:

1. makes a fresh PostgreSQL database, migrates it and builds, through the real operations, the ballot: one page
   with "choose up to 3 of 10 issues" (multiple choice, max_choices 3), an age band and an area (single
   choices), open to the public and to schools; a school with SESSIONS teachers, each with an open class
   session, and an officer (two-factor, as in production);
2. starts gunicorn with bench_answering's WSGI module (EPANEL_ENV=production, rate limits off: every voter
   comes from 127.0.0.1) and signs in the officer and the SESSIONS teachers;
3. for each rate in RATES (votes a second), for STEP_SECONDS: USERS simulated users in LOAD_PROCESSES driver
   processes take vote slots at the target rate; PUPIL_SHARE of the votes are pupils (/class: join with the
   class code, answer, thank-you page), the rest public voters (consultation page for the CSRF token, start,
   the ballot page, POST the vote, check page, POST, confirmation). A vote counts when its confirmation is
   seen. Meanwhile the officer refreshes the results page and every teacher's class board polls its live
   results (If-None-Match) every POLL_SECONDS. After each step the database's complete responses must equal
   the votes the clients counted, exactly (asserted). Stepping stops at the first rate that misses: p95 over
   300 ms, any error, or under 90 % of the target achieved;
4. scale-out: the same at the first rate and the highest one met, against two gunicorn instances (half the
   workers each; each vote's requests go to the two in turn, as behind a balancer without sticky sessions,
   and the boards are split between them) and two RQ outbox workers on Redis.

Environment: EPANEL_BENCH_BALLOT_SECONDS (seconds a step, default 30; 600 for the 10-minute run),
EPANEL_BENCH_BALLOT_RATES (default "10,25,50,100,150"), EPANEL_BENCH_BALLOT_USERS (default 200),
EPANEL_BENCH_BALLOT_SCALE_OUT=0 to skip step 4. Figures are in docs/performance.md, "National youth ballot".
"""

import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyotp
import sqlalchemy as sa
from flask_migrate import upgrade

from epanel import create_app
from epanel.accounts import operations as accounts
from epanel.accounts import two_factor
from epanel.classroom import operations as classroom
from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import Response, ResponseChannel, ResponseStatus
from tests.bench.bench_answering import (
    HIDDEN,
    REFERENCE,
    WORKERS,
    CpuMeter,
    Server,
    cpu_seconds,
    machine_description,
    percentile,
)
from tests.bench.bench_classroom import CSRF, SHOWN, SUBMITTED, Browser

STEP_SECONDS = float(os.environ.get("EPANEL_BENCH_BALLOT_SECONDS", "30"))
RATES = [float(rate) for rate in os.environ.get("EPANEL_BENCH_BALLOT_RATES", "10,25,50,100,150").split(",")]
USERS = int(os.environ.get("EPANEL_BENCH_BALLOT_USERS", "200"))
SCALE_OUT = os.environ.get("EPANEL_BENCH_BALLOT_SCALE_OUT", "1") != "0"
SESSIONS = 50
PUPIL_SHARE = 0.3  # of the votes: 3 in 10 come from pupils in class sessions
POLL_SECONDS = 5.0  # the officer's results page and each class board
LOAD_PROCESSES = 2
GOAL_RATE, GOAL_P95 = 100.0, 0.300
PASSWORD = "benchmark staff password"
REDIS_URL = os.environ.get("EPANEL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]

ISSUES = ["Mental health support", "Knife crime", "Climate change", "Cost of living", "Public transport",
          "Youth clubs and activities", "Jobs and apprenticeships", "Racism and discrimination",
          "Online safety", "Housing"]
AGE_BANDS = ["11 to 13", "14 to 15", "16 to 17", "18 to 19"]
AREAS = ["North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands", "East of England",
         "London", "South East", "South West", "Wales", "Scotland", "Northern Ireland"]
VOTE_KINDS = ["ballot", "start", "page GET", "vote POST", "check GET", "check POST", "confirmation",
              "class join page", "class join", "class questions", "class vote", "class thank you"]
WATCH_KINDS = ["officer results", "class board live"]


# --- the ballot -------------------------------------------------------------------------------------------


def build_ballot(database_url: str) -> dict:
    """The ballot, a school with SESSIONS teachers and open class sessions, and an officer, all through the
    real operations; returns what the driver needs."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        consultation = authoring.create_consultation(
            "Make Your Mark 2026", None, summary="Vote for the issues that matter most to young people.",
            for_public=True, for_schools=True, ask_public_age_band=False, ask_public_postcode=False,
            public_needs_email=False)  # the age band and the area are on the ballot itself: one page
        section = authoring.update_section(consultation.sections[0], title="Your vote", intro="")
        issues = authoring.add_question(section, "multiple", "Which issues matter most to you?", required=True,
                                        help_text="Choose up to 3.", choices=ISSUES, settings={"max_choices": 3})
        age = authoring.add_question(section, "single", "How old are you?", required=True, choices=AGE_BANDS)
        area = authoring.add_question(section, "single", "Where do you live?", required=True, choices=AREAS)
        authoring.move_to(consultation, ConsultationStatus.OPEN)
        plan = [(f"q{question.id}", [option.code for option in question.choices], most)
                for question, most in ((issues, 3), (age, 1), (area, 1))]
        officer = accounts.create_user("officer@bench.example", "Returning Officer", ["officer"], password=PASSWORD)
        secret = pyotp.random_base32()
        two_factor.enrol_with_known_secret(officer, secret)
        school = classroom.create_school("National Youth Ballot School", area="London")
        sessions = []
        for number in range(SESSIONS):
            email = f"teacher{number}@bench.example"
            teacher = accounts.create_user(email, f"Teacher {number}", ["teacher"], password=PASSWORD)
            classroom.add_teacher(school, teacher)
            started = classroom.start_session(teacher, consultation, class_name=f"Class {number}",
                                              year_group=f"Year {7 + number % 6}", expected_pupils=30,
                                              ends_at=utcnow() + timedelta(hours=4))
            sessions.append((email, started.join_code, started.id))
        ballot = {"slug": consultation.slug, "plan": plan, "sessions": sessions, "officer": (officer.email, secret)}
        app.extensions["epanel_outbox_dispatcher"].shutdown()
        db.session.remove()
        db.engine.dispose()
    return ballot


def choices_for(plan, rng: random.Random) -> list[tuple[str, str]]:
    form = []
    for name, codes, most in plan:
        form.extend((name, code) for code in rng.sample(codes, rng.randint(1, most)))
    return form


# --- the voters -------------------------------------------------------------------------------------------


class Failed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


class SpreadBrowser(Browser):
    """A voter whose requests go to the instances in turn, one after another, as behind a load balancer with
    no sticky sessions: each request on the next instance's keep-alive connection, one cookie jar."""

    def __init__(self, ports, timings):
        super().__init__(ports[0], timings)
        self.connections = [self.connection] + [Browser(port, timings).connection for port in ports[1:]]
        self.turn = 0

    def request(self, *args, **kwargs):
        self.connection = self.connections[self.turn % len(self.connections)]
        self.turn += 1
        return super().request(*args, **kwargs)

    def close(self):
        for connection in self.connections:
            connection.close()


def browser_for(ports, timings) -> Browser:
    return Browser(ports[0], timings) if len(ports) == 1 else SpreadBrowser(ports, timings)


def public_vote(ports, slug, plan, rng, timings) -> None:
    """A public voter: the ballot's page, start, the page, the vote, the check page, send, the confirmation."""
    browser = browser_for(ports, timings)
    try:
        status, _, html, _ = browser.request("ballot", "GET", f"/consultations/{slug}")
        expect(status == 200 and CSRF.search(html), f"ballot page: {status}")
        status, location, _, _ = browser.request("start", "POST", f"/consultations/{slug}/start",
                                                 {"csrf_token": CSRF.search(html)[1]})
        expect(status == 302 and location == f"/respond/{slug}/", f"start: {status} {location}")
        status, location, _, _ = browser.request("start", "GET", location)
        expect(status == 302 and location == f"/respond/{slug}/page/1", f"resume: {status} {location}")
        status, _, html, _ = browser.request("page GET", "GET", location)
        expect(status == 200 and CSRF.search(html), f"page: {status}")
        form = [("csrf_token", CSRF.search(html)[1]), *choices_for(plan, rng)]
        status, location, _, _ = browser.request("vote POST", "POST", f"/respond/{slug}/page/1", form)
        expect(status == 302 and location == f"/respond/{slug}/check", f"vote: {status} {location}")
        status, _, html, _ = browser.request("check GET", "GET", location)
        hidden = dict(HIDDEN.findall(html))
        expect(status == 200 and CSRF.search(html) and len(hidden) == 2, f"check page: {status}")
        status, location, _, _ = browser.request("check POST", "POST", f"/respond/{slug}/check",
                                                 {"csrf_token": CSRF.search(html)[1], **hidden})
        expect(status == 302 and location == f"/respond/{slug}/done", f"send: {status} {location}")
        status, _, html, _ = browser.request("confirmation", "GET", location)
        expect(status == 200 and REFERENCE.search(html), f"confirmation: {status}")
    finally:
        browser.close()


def pupil_vote(ports, code, plan, rng, timings) -> None:
    """A pupil: join with the class code, answer, see the thank-you page."""
    phone = browser_for(ports, timings)
    try:
        status, _, html, _ = phone.request("class join page", "GET", "/class")
        expect(status == 200 and CSRF.search(html), f"join page: {status}")
        status, location, _, _ = phone.request("class join", "POST", "/class",
                                               {"csrf_token": CSRF.search(html)[1], "code": code.lower()})
        expect((status, location) == (302, "/class/answer"), f"join: {status} {location}")
        status, _, html, _ = phone.request("class questions", "GET", "/class/answer")
        expect(status == 200 and CSRF.search(html) and SHOWN.search(html), f"questions: {status}")
        form = [("csrf_token", CSRF.search(html)[1]), ("shown", SHOWN.search(html)[1]), *choices_for(plan, rng)]
        status, location, _, _ = phone.request("class vote", "POST", "/class/answer", form)
        expect((status, location) == (302, "/class/done"), f"class vote: {status} {location}")
        status, _, _, _ = phone.request("class thank you", "GET", "/class/done")
        expect(status == 200, f"thank-you page: {status}")
    finally:
        phone.close()


def drive(ports, ballot, rate, seconds, users, start_at, index, results):
    """One driver process: `users` threads taking this process's share of the vote slots at `rate`/s overall."""
    share = rate / LOAD_PROCESSES
    end_at = start_at + seconds
    lock = threading.Lock()
    next_slot = [0]
    timings, failures, completed = [], [], []
    codes = [code for _, code, _ in ballot["sessions"]]

    def user(number):
        own = []
        while True:
            with lock:
                slot = next_slot[0]
                next_slot[0] += 1
            due = start_at + (slot + index / LOAD_PROCESSES) / share
            if due >= end_at:
                break
            time.sleep(max(0.0, due - time.time()))
            if time.time() >= end_at:  # a backlog past the end of the step is not run
                break
            overall = slot * LOAD_PROCESSES + index
            rng = random.Random(overall * 7919 + int(rate))
            turn = overall % len(ports)
            spread = ports[turn:] + ports[:turn]  # with two instances, each vote starts on the next one
            try:
                if overall % 10 < PUPIL_SHARE * 10:
                    pupil_vote(spread, codes[overall % len(codes)], ballot["plan"], rng, own)
                else:
                    public_vote(spread, ballot["slug"], ballot["plan"], rng, own)
            except (Failed, OSError) as error:
                with lock:
                    failures.append(f"{type(error).__name__}: {error}")
            else:
                with lock:
                    completed.append(time.time())
        with lock:
            timings.extend(own)

    threads = [threading.Thread(target=user, args=(number,)) for number in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"timings": timings, "failures": failures, "completed": completed, "cpu": time.process_time()})


# --- the watchers: the officer's results page and the class boards ---------------------------------------------


class Watchers:
    """The officer and the SESSIONS teachers, signed in, refreshing every POLL_SECONDS until stopped. Their
    timings go to `sink["timings"]`, which the runner swaps at each step."""

    def __init__(self, ports, ballot):
        self.ports, self.ballot = ports, ballot
        self.sink = {"timings": []}
        self.stop = threading.Event()
        self.final_counts = {}
        self.threads = []
        self.ready = threading.Barrier(SESSIONS + 2)

    def _sign_in(self, screen, email, secret=None):
        _, _, html, _ = screen.request("sign in page", "GET", "/sign-in")
        status, location, _, _ = screen.request("sign in", "POST", "/sign-in",
                                                {"csrf_token": CSRF.search(html)[1], "email": email,
                                                 "password": PASSWORD})
        assert status == 302, f"{email} could not sign in ({status})"
        if secret:
            _, _, html, _ = screen.request("sign in code page", "GET", location)
            status, _, _, _ = screen.request("sign in code", "POST", location,
                                             {"csrf_token": CSRF.search(html)[1],
                                              "code": pyotp.TOTP(secret).now()})
            assert status == 302, f"{email}: the two-factor code was refused ({status})"

    def _poll(self, screen, kind, path, offset, use_etag):
        """Refresh `path` every POLL_SECONDS; a class board sends If-None-Match, as its script does."""
        etag = None
        self.stop.wait(offset)  # the boards do not poll in step
        while not self.stop.is_set():
            screen.timings = self.sink["timings"]
            status, _, _, new_etag = screen.request(kind, "GET", path,
                                                    headers={"If-None-Match": etag} if etag else None)
            if status == 200 and use_etag:
                etag = new_etag
            self.stop.wait(POLL_SECONDS)

    def _officer(self):
        email, secret = self.ballot["officer"]
        screen = Browser(self.ports[0], [])
        self._sign_in(screen, email, secret)
        self.ready.wait()
        self._poll(screen, "officer results", f"/officer/consultations/{self.ballot['slug']}/results", 0.0,
                   use_etag=False)
        screen.close()

    def _board(self, number, email, session_id):
        screen = Browser(self.ports[number % len(self.ports)], [])
        self._sign_in(screen, email)
        status, _, _, _ = screen.request("board", "GET", f"/teacher/sessions/{session_id}")
        assert status == 200, f"board {session_id} did not open ({status})"
        self.ready.wait()
        path = f"/teacher/sessions/{session_id}/live"
        self._poll(screen, "class board live", path, number * POLL_SECONDS / SESSIONS, use_etag=True)
        screen.timings = []
        _, _, html, _ = screen.request("class board live", "GET", path)
        found = SUBMITTED.search(html)
        self.final_counts[session_id] = int(found[1]) if found else None
        screen.close()

    def __enter__(self):
        self.threads = [threading.Thread(target=self._officer)] + [
            threading.Thread(target=self._board, args=(number, email, session_id))
            for number, (email, _, session_id) in enumerate(self.ballot["sessions"])]
        for thread in self.threads:
            thread.start()
        self.ready.wait(timeout=300)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


# --- one step --------------------------------------------------------------------------------------------------


def stored_votes(database_url: str) -> dict:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        complete = sa.select(sa.func.count()).select_from(Response).where(Response.status == ResponseStatus.COMPLETE)
        counts = {
            "complete": connection.scalar(complete),
            "distinct submissions": connection.scalar(
                sa.select(sa.func.count(sa.distinct(Response.submission_id)))
                .where(Response.status == ResponseStatus.COMPLETE)),
            "class": connection.scalar(complete.where(Response.channel == ResponseChannel.CLASS)),
            "per session": dict(connection.execute(
                sa.select(Response.class_session_id, sa.func.count())
                .where(Response.class_session_id.is_not(None)).group_by(Response.class_session_id)).all()),
        }
    engine.dispose()
    return counts


def warm_up(ports, ballot) -> None:
    """Every worker renders each page once before the clock starts."""
    rng = random.Random(1)
    for port in ports:
        for number in range(2 * WORKERS):
            try:
                public_vote([port], ballot["slug"], ballot["plan"], rng, [])
                pupil_vote([port], ballot["sessions"][number % SESSIONS][1], ballot["plan"], rng, [])
            except (Failed, OSError) as error:
                raise AssertionError(f"warm-up vote failed: {error}") from error


def run_step(label, ports, ballot, rate, watchers, meters, workers, database_url, expected_before) -> dict:
    """Votes at `rate`/s for STEP_SECONDS; returns the figures, reconciled against the database."""
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    watchers.sink["timings"] = watch = []
    for meter in meters:
        meter.start()
    worker_cpu = sum(cpu_seconds(process.pid) for process in workers)
    start_at = time.time() + 1.0
    results = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=drive, args=(ports, ballot, rate, STEP_SECONDS,
                                                              USERS // LOAD_PROCESSES, start_at, index, results))
                 for index in range(LOAD_PROCESSES)]
    for process in processes:
        process.start()
    parts = [results.get(timeout=STEP_SECONDS + 600) for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.time() - start_at
    watchers.sink["timings"] = []
    cpu = [meter.stop() for meter in meters]
    worker_cpu = sum(cpu_seconds(process.pid) for process in workers) - worker_cpu
    counts = stored_votes(database_url)

    timings = [t for part in parts for t in part["timings"]]
    completed = sorted(t for part in parts for t in part["completed"])
    failures = [f for part in parts for f in part["failures"]]
    in_window = sum(1 for t in completed if t <= start_at + STEP_SECONDS)
    http_errors = sum(1 for t in timings + watch if t[2] >= 400)
    server = {"gunicorn": sum(c["gunicorn"] for c in cpu), "postgres": cpu[0]["postgres"],
              "machine": cpu[0]["machine"], "machine_total": cpu[0]["machine_total"]}
    return {
        "label": label, "rate": rate, "load": load, "elapsed": elapsed,
        "driver_cpu": sum(part["cpu"] for part in parts),
        "achieved": in_window / STEP_SECONDS, "votes": len(completed), "failures": failures,
        "http_errors": http_errors, "timings": timings, "watch": watch, "cpu": server, "worker_cpu": worker_cpu,
        "stored": counts, "expected": expected_before + len(completed),
        "p95": percentile([t[1] for t in timings], 95),
    }


def missed(step) -> bool:
    return bool(step["p95"] > GOAL_P95 or step["failures"] or step["http_errors"] or
                step["achieved"] < 0.9 * step["rate"])


def marginal_cpu(steps) -> None:
    """Server CPU of one more vote, between the first and the last step: the boards' and the officer's
    refreshes cost the same in both, so they drop out."""
    if len(steps) < 2 or steps[-1]["votes"] == steps[0]["votes"]:
        return
    first, last = steps[0], steps[-1]
    extra = last["votes"] - first["votes"]
    gunicorn = (last["cpu"]["gunicorn"] - first["cpu"]["gunicorn"]) / extra
    postgres = (last["cpu"]["postgres"] - first["cpu"]["postgres"]) / extra
    print(f"  server CPU of one more vote (step {last['rate']:.0f}/s against step {first['rate']:.0f}/s): gunicorn "
          f"{gunicorn * 1000:.1f} ms + PostgreSQL {postgres * 1000:.1f} ms = {(gunicorn + postgres) * 1000:.1f} ms; "
          f"two whole cores would give at most {1 / (gunicorn + postgres) * 2:.0f} votes/s, before the driver")


def report(step) -> None:
    cpu, votes = step["cpu"], max(step["votes"], 1)
    print(f"\n  --- {step['label']}: target {step['rate']:.0f} votes/s for {STEP_SECONDS:.0f} s, {USERS} users; "
          f"load average at start {step['load']}")
    print(f"  achieved {step['achieved']:.1f} votes/s ({step['votes']} votes completed, the last "
          f"{step['elapsed'] - STEP_SECONDS:+.1f} s after the step's end); failed votes {len(step['failures'])}, "
          f"HTTP errors {step['http_errors']}")
    print(f"  {'request':<18} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for kind in VOTE_KINDS + WATCH_KINDS:
        values = [t[1] for t in step["timings"] + step["watch"] if t[0] == kind]
        if values:
            print(f"  {kind:<18} {len(values):>6} {percentile(values, 50) * 1000:>7.1f} "
                  f"{percentile(values, 95) * 1000:>7.1f} {percentile(values, 99) * 1000:>7.1f} "
                  f"{max(values) * 1000:>7.1f}")
    values = [t[1] for t in step["timings"]]
    print(f"  {'all vote requests':<18} {len(values):>6} {percentile(values, 50) * 1000:>7.1f} "
          f"{percentile(values, 95) * 1000:>7.1f} {percentile(values, 99) * 1000:>7.1f} "
          f"{max(values, default=0) * 1000:>7.1f}")
    statuses = Counter(t[2] for t in step["watch"] if t[0] == "class board live")
    print(f"  class board polls: {statuses[304]} answered 304 (nothing new), {statuses[200]} answered 200")
    print(f"  server CPU per vote: gunicorn {cpu['gunicorn'] / votes * 1000:.1f} ms + PostgreSQL "
          f"{cpu['postgres'] / votes * 1000:.1f} ms (boards and officer included); load driver "
          f"{step['driver_cpu'] / votes * 1000:.1f} ms; RQ workers "
          f"{step['worker_cpu']:.1f} s in all; machine {cpu['machine'] / cpu['machine_total'] * 100:.0f} % busy")
    stored = step["stored"]
    print(f"  reconcile: clients counted {step['expected']} votes in all, the database holds {stored['complete']} "
          f"complete responses ({stored['distinct submissions']} distinct submission ids, {stored['class']} "
          f"from classes)")
    for failure, count in Counter(step["failures"]).most_common(3):
        print(f"  FAILED {count} x {failure}")


def reconcile(step) -> None:
    stored = step["stored"]
    assert stored["complete"] == stored["distinct submissions"] == step["expected"], (
        f"{step['label']}: clients counted {step['expected']} votes, the database holds {stored['complete']}")


def run_rates(label, ports, ballot, rates, meters, workers, database_url, stop_on_miss=True) -> list[dict]:
    steps = []
    with Watchers(ports, ballot) as watchers:
        warm_up(ports, ballot)
        before = stored_votes(database_url)["complete"]
        for rate in rates:
            step = run_step(label, ports, ballot, rate, watchers, meters, workers, database_url, before)
            before = step["stored"]["complete"]
            report(step)
            reconcile(step)
            steps.append(step)
            if stop_on_miss and missed(step):
                break
    stored = stored_votes(database_url)
    boards = {session_id: watchers.final_counts.get(session_id) for _, _, session_id in ballot["sessions"]}
    assert boards == {session_id: stored["per session"].get(session_id, 0) for session_id in boards}, \
        "each class board shows its class's count"
    return steps


# --- scale-out: a second gunicorn and two RQ workers ------------------------------------------------------------


class ScaledOut:
    """Two gunicorn instances of WORKERS // 2 workers each, and two RQ outbox workers, on Redis."""

    def __init__(self, folder: Path, database_url: str):
        self.queue = f"epanel-bench-ballot-{uuid.uuid4().hex[:8]}"
        self.servers = []
        for name in ("a", "b"):
            (folder / name).mkdir(parents=True)
            server = Server(folder / name, database_url)
            server.command[server.command.index("-w") + 1] = str(max(1, WORKERS // 2))
            server.env.update(EPANEL_REDIS_URL=REDIS_URL, EPANEL_OUTBOX_QUEUE=self.queue)
            self.servers.append(server)
        self.worker_env = {**self.servers[0].env, "EPANEL_ENV": "production"}
        self.folder = folder
        self.workers = []

    def __enter__(self):
        for server in self.servers:
            server.__enter__()
        for number in range(2):
            log = open(self.folder / f"worker{number}.log", "w")
            self.workers.append(subprocess.Popen(
                [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "epanel", "worker"],
                cwd=ROOT, env=self.worker_env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        time.sleep(3)
        assert all(worker.poll() is None for worker in self.workers), \
            (self.folder / "worker0.log").read_text()[-2000:]
        return self

    def __exit__(self, *exc):
        for worker in self.workers:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for server in self.servers:
            server.__exit__(*exc)


# --- the benchmark ------------------------------------------------------------------------------------------


def test_national_youth_ballot_steps_up_to_its_ceiling(fresh_database, tmp_path, record_figure):
    database_url = fresh_database("postgres")
    ballot = build_ballot(database_url)
    machine = [row for row in machine_description("postgres", database_url) if row[0] != "load driver"]
    machine.append(("load driver", f"{LOAD_PROCESSES} processes x {USERS // LOAD_PROCESSES} user threads "
                                   f"(http.client, a new connection and cookie jar per vote) + {SESSIONS + 1} "
                                   f"watcher threads, on the same machine"))
    print(f"\n=== National youth ballot: {PUPIL_SHARE:.0%} pupils in {SESSIONS} class sessions, the rest public "
          f"voters; {SESSIONS} class boards and the officer's results page refreshed every {POLL_SECONDS:.0f} s ===")
    for name, value in machine:
        print(f"  {name:<22} {value}")

    (tmp_path / "one").mkdir()
    with Server(tmp_path / "one", database_url) as server:
        steps = run_rates("one gunicorn", [server.port], ballot, RATES, [CpuMeter(server, "postgres")], [],
                          database_url)
        errors = server.errors_logged()
    for line in errors[:5]:
        print("  server log:", line)

    marginal_cpu(steps)
    passed = [step for step in steps if not missed(step)]
    ceiling = max((step["achieved"] for step in steps), default=0.0)
    print(f"\n  highest rate meeting the goal (p95 < {GOAL_P95 * 1000:.0f} ms, no errors, >= 90 % of the target): "
          f"{passed[-1]['rate']:.0f} votes/s" if passed else "\n  no step met the goal")
    print(f"  most votes/s achieved in any step: {ceiling:.1f} (goal {GOAL_RATE:.0f} votes/s with p95 < "
          f"{GOAL_P95 * 1000:.0f} ms: {'met' if passed and passed[-1]['rate'] >= GOAL_RATE else 'NOT met'})")
    highest = passed[-1]["rate"] if passed else 0.0
    record_figure("ballot: highest vote rate meeting p95 < 300 ms", "postgres", highest, "votes/s",
                  goal=f">= {GOAL_RATE:.0f} votes/s", met=highest >= GOAL_RATE)
    record_figure("ballot: most votes/s achieved in any step", "postgres", ceiling, "votes/s")

    if SCALE_OUT:
        # The first rate and the highest one met, for a like-for-like comparison with the same steps above.
        rates = sorted({RATES[0], passed[-1]["rate"] if passed else RATES[0]})
        with ScaledOut(tmp_path / "scaled", database_url) as scaled:
            meters = [CpuMeter(server, "postgres") for server in scaled.servers]
            scaled_steps = run_rates("two gunicorns + two RQ workers", [s.port for s in scaled.servers], ballot,
                                     rates, meters, scaled.workers, database_url, stop_on_miss=False)
            errors += [line for server in scaled.servers for line in server.errors_logged()]
        one = {step["rate"]: step for step in steps}
        for step in scaled_steps:
            print(f"\n  scale-out at {step['rate']:.0f} votes/s: achieved {step['achieved']:.1f} votes/s, p95 "
                  f"{step['p95'] * 1000:.0f} ms, load {step['load']} (one instance: {one[step['rate']]['achieved']:.1f}"
                  f" votes/s, p95 {one[step['rate']]['p95'] * 1000:.0f} ms, load {one[step['rate']]['load']})")
        print("  on 2 cores a second instance and worker show the path to more machines, not more speed")
    assert errors == []
