"""Benchmark: invited members answering a 20-question survey through the real web pages, under gunicorn.

Run with `make bench` (pytest -s). For SQLite and for PostgreSQL, in turn, it:

1. makes a fresh database, migrates it (`flask db upgrade`), builds the survey through
   `epanel.consultations.operations` (8 single choice, 4 multiple choice, 6 agreement scales, 2 long
   text, on 4 pages of 5 questions; EPANEL_BENCH_SECTIONS=2 puts them on 2 pages of 10), opens it and
   invites RESPONDENTS members, keeping each private link's token;
2. counts SQL statements, commits and in-process time per request over complete responses in one
   process (Flask test client), and times `render_template` of page 1;
3. starts gunicorn on 127.0.0.1 with a production configuration (EPANEL_ENV=production, rate limits
   off, plain-HTTP cookies) and, in the same WSGI module, the reference endpoint: a minimal Flask view
   that parses a form and inserts one row, on a bare Flask app (/bare/reference) and, to show the
   app's own per-request overhead, inside the ePanel app (/bench/reference);
4. drives CONCURRENCY simulated respondents, each with its own connection and cookie, through
   /respond/i/<token> -> page GET (CSRF token) + POST for every page -> check GET + POST -> done,
   for RUN_SECONDS after a warm-up, then POSTs to each reference from the same driver (and to the
   bare one from wrk, when it is installed) for REFERENCE_SECONDS, reading server CPU from /proc.

Only that every respondent (and reference request) completed is asserted; speeds are printed.
Figures and conditions are recorded in docs/performance.md.
"""

import http.client
import os
import platform
import queue
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_migrate import upgrade
from werkzeug.datastructures import MultiDict

from epanel import create_app
from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.invitations import hash_invitation_token, new_invitation_token
from epanel.consultations.models import ConsultationStatus, Invitation, InvitationChannel
from epanel.consultations.queries import get_consultation_for_answering, question_numbers
from epanel.extensions import db
from epanel.panels import operations as panel_operations
from epanel.panels.models import Member, MemberSource, MemberStatus
from epanel.respond import operations as respond_operations
from epanel.respond.queries import find_invitation

SECTIONS = int(os.environ.get("EPANEL_BENCH_SECTIONS", "4"))  # 4 pages of 5 questions, or 2 of 10
CONCURRENCY = 16
WARMUP_SECONDS = 3.0
RUN_SECONDS = float(os.environ.get("EPANEL_BENCH_SECONDS", "30"))
REFERENCE_SECONDS = 10.0
RESPONDENTS = int(os.environ.get("EPANEL_BENCH_RESPONDENTS", "4000"))  # invitations made; the run stops if used up
IN_PROCESS_RESPONSES = 21  # complete responses through the test client, for query counts and in-process times
RENDER_RUNS = 200
WORKERS = 2 * (os.cpu_count() or 2)
THREADS = 4
SECRET_KEY = "benchmark-only-not-secret-" + "0" * 32

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'name="(submission_id|fingerprint)" value="([^"]*)"')
REFERENCE = re.compile(r"Your reference<br><strong>([A-Z0-9]{8})</strong>")

# --- the survey --------------------------------------------------------------------------------

SINGLE = [
    ("How often do you visit a park or open space in the district?",
     ["Every day", "At least once a week", "At least once a month", "Less often", "Never"]),
    ("Which park do you visit most often?",
     ["Abbey Gardens", "Brookside Recreation Ground", "Castle Hill Park", "Dunmore Woods", "Eastgate Green",
      "Another park"]),
    ("How do you usually get there?", ["On foot", "By bicycle", "By bus", "By car", "Another way"]),
    ("How long do you usually stay?", ["Less than 30 minutes", "30 minutes to an hour", "1 to 2 hours",
                                       "More than 2 hours"]),
    ("Overall, how satisfied are you with parks in the district?",
     ["Very satisfied", "Fairly satisfied", "Neither satisfied nor dissatisfied", "Fairly dissatisfied",
      "Very dissatisfied"]),
    ("Compared with two years ago, are the parks you use better or worse?",
     ["Better", "About the same", "Worse", "Don't know"]),
    ("Would you volunteer to help look after a park?", ["Yes", "Maybe", "No"]),
    ("How did you hear about this consultation?",
     ["Email from the council", "Social media", "Local newspaper", "A friend or neighbour", "Somewhere else"]),
]
MULTIPLE = [
    ("What do you use parks for?", ["Walking", "Sport", "Children's play", "Dog walking", "Nature",
                                    "Meeting friends"], 3),
    ("Which facilities should we improve first?", ["Toilets", "Lighting", "Benches", "Paths", "Bins", "Cafés"], 3),
    ("What stops you visiting more often?", ["Safety", "Distance", "Litter", "Lack of facilities", "Dogs",
                                            "Nothing"], 2),
    ("Which events would you go to?", ["Markets", "Concerts", "Sports days", "Guided walks", "Outdoor cinema"], 3),
]
AGREEMENT = [
    "Parks in the district are kept clean.",
    "I feel safe in parks during the day.",
    "I feel safe in parks after dark.",
    "Parks are easy to reach without a car.",
    "The council listens to what residents say about parks.",
    "Parks should have more space for wildlife.",
]
LONG_TEXT = [
    "What one change would make the biggest difference to the parks near you?",
    "Is there anything else you want to tell us about parks and open spaces?",
]
# Four pages of five; with two sections, pages 1+2 and 3+4 are joined.
PAGE_PLAN = [
    ("Visiting parks", ["single", "single", "agreement", "agreement", "multiple"]),
    ("Facilities", ["single", "single", "agreement", "multiple", "long_text"]),
    ("Safety and access", ["single", "single", "agreement", "agreement", "multiple"]),
    ("Your ideas", ["single", "single", "agreement", "multiple", "long_text"]),
]
TEXTS = [
    "More benches along the river path, and the toilets by the play area open all year round please.",
    "Better lighting on the paths through Castle Hill Park – I don't walk home that way after dark in winter.",
    "Keep the wildflower meadows! The bins near the café overflow at weekends; emptying them on Sunday "
    "mornings would help a lot. Also a few more dog bins by the woods.",
    "Nothing really, the parks are lovely. Thank you to the staff who look after them.",
    "A safe crossing on the main road to Eastgate Green so children can get there on their own, and a "
    "water fountain near the sports pitches.",
]


def build_survey(sections: int):
    """The 20-question survey, opened; returns (consultation, pages) with each page's question plan."""
    consultation = authoring.create_consultation(
        "Parks and open spaces 2026", None, summary="Tell us how you use the district's parks.",
        body="We are reviewing how we look after parks and open spaces. It takes about 10 minutes.",
        theme="Environment",
    )
    layout = PAGE_PLAN if sections == 4 else [
        (f"{PAGE_PLAN[i][0]} and {PAGE_PLAN[i + 1][0].lower()}", PAGE_PLAN[i][1] + PAGE_PLAN[i + 1][1])
        for i in (0, 2)
    ]
    assert len(layout) == sections, "EPANEL_BENCH_SECTIONS must be 2 or 4"
    stock = {"single": iter(SINGLE), "multiple": iter(MULTIPLE), "agreement": iter(AGREEMENT),
             "long_text": iter(LONG_TEXT)}
    pages = []
    for number, (title, kinds) in enumerate(layout):
        if number == 0:
            section = authoring.update_section(consultation.sections[0], title=title, intro="")
        else:
            section = authoring.add_section(consultation, title)
        plan = []
        for kind in kinds:
            if kind == "single":
                text, labels = next(stock[kind])
                question = authoring.add_question(section, kind, text, required=True, choices=labels)
                plan.append(("single", question.id, [str(i) for i in range(1, len(labels) + 1)], 1))
            elif kind == "multiple":
                text, labels, most = next(stock[kind])
                question = authoring.add_question(section, kind, text, help_text=f"Choose up to {most}.",
                                                  choices=labels, settings={"max_choices": most})
                plan.append(("multiple", question.id, [str(i) for i in range(1, len(labels) + 1)], most))
            elif kind == "agreement":
                question = authoring.add_question(section, kind, next(stock[kind]), required=True)
                plan.append(("agreement", question.id, ["1", "2", "3", "4", "5"], 1))
            else:
                question = authoring.add_question(section, kind, next(stock[kind]), settings={"max_length": 2000},
                                                  help_text="Do not include your name or other personal details.")
                plan.append(("long_text", question.id, [], 1))
        pages.append(plan)
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    kinds = Counter(kind for plan in pages for kind, *_ in plan)
    assert kinds == {"single": 8, "multiple": 4, "agreement": 6, "long_text": 2}
    return consultation, pages


def invite_members(consultation, count: int) -> list[str]:
    """`count` active members on a panel, each invited by email; returns their private link tokens."""
    panel = panel_operations.create_panel("citizens", "Citizens' Panel", min_age=18)
    wards = ["Abbey", "Brookside", "Castle Hill", "Dunmore", "Eastgate", "Fernlea"]
    panel_operations.add_members([
        (Member(first_name="Sam", last_name=f"Bench{number}", email=f"bench{number}@example.org",
                status=MemberStatus.ACTIVE, source=MemberSource.SIGN_UP, ward=wards[number % len(wards)],
                postcode=f"AV{number % 9 + 1} {number % 9 + 1}AB", gender=("Woman", "Man", None)[number % 3],
                date_of_birth=date(1940 + number % 60, number % 12 + 1, number % 28 + 1)), [panel])
        for number in range(count)
    ])
    member_ids = db.session.scalars(sa.select(Member.id).order_by(Member.id)).all()
    tokens = [new_invitation_token() for _ in member_ids]
    sent = utcnow()
    db.session.add_all(Invitation(consultation_id=consultation.id, member_id=member_id, sent_at=sent,
                                  channel=InvitationChannel.EMAIL, token_hash=hash_invitation_token(token))
                       for member_id, token in zip(member_ids, tokens))
    db.session.commit()
    return tokens


def answers_for(plan, rng: random.Random) -> list[tuple[str, str]]:
    """Random valid answers to one page: a (name, value) list, repeating names for multiple choice."""
    form = []
    for kind, question_id, codes, most in plan:
        name = f"q{question_id}"
        if kind == "multiple":
            form.extend((name, code) for code in rng.sample(codes, rng.randint(1, most)))
        elif kind == "long_text":
            form.append((name, rng.choice(TEXTS)))
        else:
            form.append((name, rng.choice(codes)))
    return form


# --- the reference endpoint and the server -------------------------------------------------------

REFERENCE_TABLE = sa.Table(
    "bench_reference", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

BENCH_WSGI = textwrap.dedent('''\
    """The benchmark's WSGI module. /: the real app with production settings from the environment, rate
    limits off and plain-HTTP cookies, plus /bench/reference, a view on it that parses a form and inserts one
    row. /bare/reference: the same view on a bare Flask app (no ePanel hooks), the reference endpoint."""

    import os
    from datetime import datetime

    import sqlalchemy as sa
    from flask import Flask, request
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from epanel import create_app
    from epanel.accounts.access import public
    from epanel.extensions import csrf, db

    app = create_app({"RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                      "REMEMBER_COOKIE_SECURE": False, "SEND_HSTS": False})

    reference_table = sa.Table(
        "bench_reference", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


    def read_form():
        name = request.form.get("name", "").strip()[:100]
        return {"name": name, "message": request.form.get("message", "").strip(), "created_at": datetime.now()}


    @csrf.exempt
    @public
    def bench_reference():
        row = read_form()
        if not row["name"]:
            return "name is required", 400
        db.session.execute(reference_table.insert().values(**row))
        db.session.commit()
        return "saved", 201


    app.add_url_rule("/bench/reference", view_func=bench_reference, methods=["POST"])

    bare = Flask("bare")
    bare_engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])


    @bare.post("/reference")
    def bare_reference():
        row = read_form()
        if not row["name"]:
            return "name is required", 400
        with bare_engine.begin() as connection:
            connection.execute(reference_table.insert().values(**row))
        return "saved", 201


    application = DispatcherMiddleware(app, {"/bare": bare})
''')
REFERENCE_FORM = urlencode({"name": "Sam Bench", "message": TEXTS[2]})


class Server:
    """gunicorn serving the bench WSGI module on a free loopback port."""

    def __init__(self, folder: Path, database_url: str):
        self.folder = folder
        (folder / "bench_wsgi.py").write_text(BENCH_WSGI)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.env = {**os.environ, "EPANEL_ENV": "production", "EPANEL_SECRET_KEY": SECRET_KEY,
                    "EPANEL_DATABASE_URL": database_url, "EPANEL_PUBLIC_URL": f"http://127.0.0.1:{self.port}"}
        self.env.pop("EPANEL_REDIS_URL", None)
        self.command = [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(folder),
                        "bench_wsgi:application", "-w", str(WORKERS), "-k", "gthread", "--threads", str(THREADS),
                        "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.log_path = folder / "gunicorn.log"
        self.process = None

    def __enter__(self):
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/respond/i/not-a-token")
                if connection.getresponse().status == 404:
                    return self
            except OSError:
                pass
            finally:
                connection.close()
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text()[-3000:]
                self.__exit__(None, None, None)
                raise RuntimeError(f"gunicorn did not start:\n{log}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [self.process.pid] + [int(pid) for pid in children.read_text().split()]

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def errors_logged(self) -> list[str]:
        return [line for line in self.log_path.read_text().splitlines() if "Traceback" in line or " ERROR " in line]


# --- the load driver -----------------------------------------------------------------------------


class Browser:
    """One simulated respondent's browser: a keep-alive connection to the server and its cookies."""

    def __init__(self, port: int, timings: list):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.timings = timings  # (kind, seconds, finished at)
        self.largest_cookie = 0

    def request(self, kind: str, method: str, path: str, form=None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        html = response.read().decode()
        finished = time.perf_counter()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "Max-Age=0" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
                self.largest_cookie = max(self.largest_cookie, len(value))
        self.timings.append((kind, finished - started, finished))
        location = response.getheader("Location") or ""
        if location:
            parts = urlsplit(location)
            location = parts.path + (f"?{parts.query}" if parts.query else "")
        return response.status, location, html

    def close(self):
        self.connection.close()


class Failed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def answer_survey(browser: Browser, token: str, slug: str, pages, rng: random.Random) -> str:
    """A respondent's whole visit, from the private link to the confirmation; returns their reference."""
    status, location, _ = browser.request("private link", "GET", f"/respond/i/{token}")
    expect(status == 302 and location == f"/respond/{slug}/page/1", f"link: {status} {location}")
    for number, plan in enumerate(pages, start=1):
        path = f"/respond/{slug}/page/{number}"
        expect(location == path, f"expected {path}, sent to {location}")
        status, _, html = browser.request("page GET", "GET", path)
        token_match = CSRF.search(html)
        expect(status == 200 and token_match, f"page {number} GET: {status}")
        form = [("csrf_token", token_match.group(1))] + answers_for(plan, rng)
        status, location, html = browser.request("page POST", "POST", path, form)
        expect(status == 302, f"page {number} POST: {status} {html[:300]}")
    expect(location == f"/respond/{slug}/check", f"after the last page: {location}")
    status, _, html = browser.request("check GET", "GET", location)
    hidden = dict(HIDDEN.findall(html))
    token_match = CSRF.search(html)
    expect(status == 200 and token_match and hidden.get("submission_id"), f"check GET: {status}")
    status, location, _ = browser.request("check POST", "POST", f"/respond/{slug}/check",
                                          {"csrf_token": token_match.group(1), **hidden})
    expect(status == 302 and location == f"/respond/{slug}/done", f"check POST: {status} {location}")
    status, _, html = browser.request("done", "GET", location)
    reference = REFERENCE.search(html)
    expect(status == 200 and reference, f"done: {status}")
    return reference.group(1)


def run_respondents(port, tokens: queue.SimpleQueue, slug, pages, seconds: float, seed: int) -> dict:
    """CONCURRENCY respondents at a time for `seconds`; ones under way at the end are finished, not counted."""
    timings, completed, failures, references = [], [], [], []
    cookie_sizes = []
    started = time.perf_counter()
    window_end = started + seconds

    def respondent_loop(number):
        rng = random.Random(seed * 1000 + number)
        while time.perf_counter() < window_end:
            try:
                token = tokens.get_nowait()
            except queue.Empty:
                return
            browser = Browser(port, timings)
            try:
                references.append(answer_survey(browser, token, slug, pages, rng))
                completed.append(time.perf_counter())
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                failures.append(f"{type(error).__name__}: {error}")
            finally:
                cookie_sizes.append(browser.largest_cookie)
                browser.close()

    threads = [threading.Thread(target=respondent_loop, args=(n,)) for n in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"started": started, "window_end": window_end, "finished": time.perf_counter(), "timings": timings,
            "completed": completed, "failures": failures, "references": references,
            "cookie": max(cookie_sizes, default=0)}


def run_reference(port, path: str, seconds: float) -> dict:
    """CONCURRENCY clients POSTing to the reference endpoint, each on its own keep-alive connection."""
    timings, failures = [], []
    started = time.perf_counter()
    window_end = started + seconds

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        try:
            while time.perf_counter() < window_end:
                begun = time.perf_counter()
                connection.request("POST", path, body=REFERENCE_FORM, headers=headers)
                response = connection.getresponse()
                response.read()
                finished = time.perf_counter()
                if response.status != 201:
                    failures.append(response.status)
                timings.append(("reference", finished - begun, finished))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"started": started, "window_end": window_end, "timings": timings, "failures": failures}


def run_wrk(port, folder: Path, seconds: float) -> float | None:
    """The reference endpoint's req/s from wrk (C, 2 threads, same concurrency), when wrk is installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = folder / "reference.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = "{REFERENCE_FORM}"\n'
                      'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    result = subprocess.run([wrk, "-t2", f"-c{CONCURRENCY}", f"-d{int(seconds)}s", "-s", str(script),
                             f"http://127.0.0.1:{port}/bare/reference"],
                            capture_output=True, text=True, timeout=seconds + 30)
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        print(result.stdout)
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    return float(found.group(1)) if found else None


# --- CPU accounting ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values) - values[3] - values[4]) / ticks, sum(values) / ticks


class CpuMeter:
    """CPU seconds used by gunicorn, PostgreSQL, this driver and the whole machine between start and stop."""

    def __init__(self, server: Server, backend: str):
        self.server, self.backend = server, backend

    def _read(self):
        pg = {pid: cpu_seconds(pid) for pid in postgres_pids()} if self.backend == "postgres" else {}
        return (sum(cpu_seconds(pid) for pid in self.server.worker_pids()), pg, time.process_time(),
                machine_busy())

    def start(self):
        self.before = self._read()

    def stop(self) -> dict:
        after = self._read()
        return {
            "gunicorn": after[0] - self.before[0],
            "postgres": sum(value - self.before[1].get(pid, 0.0) for pid, value in after[1].items()),
            "driver": after[2] - self.before[2],
            "machine": after[3][0] - self.before[3][0],
            "machine_total": after[3][1] - self.before[3][1],
        }


# --- one process: queries, commits and time per request; render time -----------------------------


class StatementCounter:
    """Counts SQL statements (by text), their time and COMMITs on an engine while `label` is set."""

    def __init__(self, engine):
        self.label = None
        self.statements = defaultdict(Counter)
        self.sql_seconds = Counter()
        self.commits = Counter()
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        sa.event.listen(engine, "commit", self._commit)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.label:
            self.statements[self.label][" ".join(statement.split())] += 1
            self.sql_seconds[self.label] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    def _commit(self, conn):
        if self.label:
            self.commits[self.label] += 1


class InProcessBrowser(Browser):
    """The same respondent through Flask's test client in this process; each request gets its own app context."""

    def __init__(self, app, counter: StatementCounter, samples: list):
        self.client, self.counter, self.samples = app.test_client(), counter, samples  # (kind, wall s, CPU s)
        self.cookies, self.largest_cookie = {}, 0

    def request(self, kind, method, path, form=None):
        data = None if form is None else MultiDict(list(form.items()) if isinstance(form, dict) else form)
        self.counter.label = kind
        started, cpu = time.perf_counter(), time.process_time()
        response = self.client.open(path, method=method, data=data)
        self.samples.append((kind, time.perf_counter() - started, time.process_time() - cpu))
        self.counter.label = None
        cookie = self.client.get_cookie("epanel_session")
        self.largest_cookie = max(self.largest_cookie, len(cookie.value) if cookie else 0)
        location = response.headers.get("Location") or ""
        return response.status_code, urlsplit(location).path if location else "", response.get_data(as_text=True)

    def close(self):
        pass


def measure_in_process(app, tokens: list[str], slug: str, pages) -> dict:
    """Complete responses through the test client: statements and commits of the second (the first, in a
    fresh process, also fills per-process caches and runs the lifecycle check), times over all but the first."""
    with app.app_context():
        counter = StatementCounter(db.engine)
    samples, rng, cookie = [], random.Random(7), 0
    for number, token in enumerate(tokens):
        browser = InProcessBrowser(app, counter, samples if number else [])  # the first one warms up
        answer_survey(browser, token, slug, pages, rng)
        cookie = max(cookie, browser.largest_cookie)
        if number == 0:
            first = (sum(sum(found.values()) for found in counter.statements.values()), sum(counter.commits.values()))
            counter.statements.clear()
            counter.commits.clear()
        elif number == 1:
            statements = {label: Counter(found) for label, found in counter.statements.items()}
            commits = Counter(counter.commits)
    return {"statements": statements, "commits": commits, "samples": samples, "cookie": cookie,
            "responses": len(tokens) - 1, "first": first}


def time_page_render(app, token: str, slug: str) -> dict:
    """ms to render page 1 as the view does, averaged over RENDER_RUNS; also the layout with no questions."""
    with app.app_context():
        invitation = find_invitation(token)
        with app.test_request_context(f"/respond/{slug}/page/1"):
            consultation = get_consultation_for_answering(slug)  # as the answering pages load it
            respondent = respond_operations.Respondent(invitation=invitation, member=invitation.member)
            visible = respond_operations.pages(consultation, {})
            by_id = {q.id: q for q in consultation.questions}
            shown = [q for q in visible[0].questions if respond_operations.is_shown(q, {}, by_id)]
            numbers = (respond_operations.visible_numbers(consultation, {})
                       if hasattr(respond_operations, "visible_numbers") else question_numbers(consultation))
            arguments = dict(consultation=consultation, section=visible[0], questions=shown, values={}, errors={},
                             numbers=numbers, number=1, total=len(visible), respondent=respondent, revealed=False)
            timed = {"bytes": len(render_template("respond/page.html", **arguments).encode()),
                     "questions": len(shown)}
            for name, questions in (("page", shown), ("layout", [])):
                started = time.perf_counter()
                for _ in range(RENDER_RUNS):
                    render_template("respond/page.html", **{**arguments, "questions": questions})
                timed[name] = (time.perf_counter() - started) / RENDER_RUNS * 1000
        db.session.remove()
    return timed


# --- reporting -----------------------------------------------------------------------------------

KIND_ORDER = ["private link", "page GET", "page POST", "check GET", "check POST", "done"]


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def machine_description(backend: str, database_url: str) -> list[tuple[str, str]]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    rows = [("nproc", str(os.cpu_count())), ("CPU", cpu), ("RAM", memory),
            ("load average at start", " ".join(Path("/proc/loadavg").read_text().split()[:3])),
            ("Python", platform.python_version()), ("SQLAlchemy", sa.__version__)]
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    if commit:
        rows.append(("code", f"git {commit}"))
    if backend == "sqlite":
        rows.append(("SQLite", f"{sqlite3.sqlite_version} (WAL, file in a temporary folder)"))
    else:
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            version = connection.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
        rows.append(("PostgreSQL", f"{version} (local, 127.0.0.1; psycopg {__import__('psycopg').__version__})"))
    gunicorn = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--version"],
                              capture_output=True, text=True).stdout.strip()
    rows.append(("server", f"{gunicorn}: -w {WORKERS} -k gthread --threads {THREADS}; EPANEL_ENV=production, "
                           "rate limits off, no access log"))
    rows.append(("load driver", f"{CONCURRENCY} threads in the pytest process, http.client keep-alive, one "
                                "connection and cookie jar per respondent; CSS/JS not fetched"))
    return rows


def report_in_process(in_process, render):
    samples, runs = in_process["samples"], in_process["responses"]
    print(f"\n  In one process (Flask test client): statements and commits of the second complete response; "
          f"time averaged over {runs} more")
    print(f"  {'request':<14} {'per resp.':>9} {'SQL statements':>14} {'commits':>8} {'wall ms':>8} {'CPU ms':>7}")
    totals = Counter()
    for kind in KIND_ORDER:
        walls = [wall for k, wall, _ in samples if k == kind]
        cpus = [cpu for k, _, cpu in samples if k == kind]
        visits = len(walls) / runs
        statements = sum(in_process["statements"].get(kind, Counter()).values())
        commits = in_process["commits"].get(kind, 0)
        totals.update(statements=statements, commits=commits, wall=sum(walls) / runs, cpu=sum(cpus) / runs)
        print(f"  {kind:<14} {visits:>9.0f} {statements / visits:>14.1f} {commits / visits:>8.1f} "
              f"{sum(walls) / len(walls) * 1000:>8.1f} {sum(cpus) / len(cpus) * 1000:>7.1f}")
    print(f"  {'whole response':<14} {'':>9} {totals['statements']:>14} {totals['commits']:>8} "
          f"{totals['wall'] * 1000:>8.1f} {totals['cpu'] * 1000:>7.1f}")
    print(f"  (the first response in the fresh process: {in_process['first'][0]} statements, "
          f"{in_process['first'][1]} commits)")
    print("  Statements run more than once in one request (times per request, request kind, statement):")
    repeated = []
    for kind, found in in_process["statements"].items():
        visits = sum(1 for k, _, _ in samples if k == kind) / runs
        repeated += [(count / visits, kind, statement) for statement, count in found.items() if count > visits]
    for per_request, kind, statement in sorted(repeated, key=lambda item: -item[0]):
        print(f"    {per_request:>4.1f} x  [{kind}] {statement[:100]}")
    print(f"  render_template('respond/page.html'), page 1 ({render['questions']} questions): {render['page']:.1f} ms;"
          f" with no questions: {render['layout']:.1f} ms; {render['bytes']:,} bytes of HTML. "
          f"Session cookie: up to {in_process['cookie']} bytes")


def report(backend, machine, in_process, render, answering, references, wrk_rps, cpu):
    print(f"\n=== Answering a 20-question survey on {SECTIONS} pages, {backend} ===")
    for name, value in machine:
        print(f"  {name:<22} {value}")
    report_in_process(in_process, render)

    timings = [t for t in answering["timings"] if t[2] <= answering["window_end"]]
    completed = sum(1 for t in answering["completed"] if t <= answering["window_end"])
    rps = max(completed, 1e-9) / RUN_SECONDS
    print(f"\n  Under gunicorn, concurrency {CONCURRENCY}, {RUN_SECONDS:.0f} s after a {WARMUP_SECONDS:.0f} s warm-up"
          f" ({REFERENCE_SECONDS:.0f} s for each reference):")
    print(f"  {'request':<18} {'count':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'req/s':>7}")

    def row(label, values, seconds):
        print(f"  {label:<18} {len(values):>7} {ms(percentile(values, 50))} {ms(percentile(values, 95))} "
              f"{ms(percentile(values, 99))} {ms(max(values, default=0))} {len(values) / seconds:>7.0f}")

    for kind in KIND_ORDER:
        row(kind, [t[1] for t in timings if t[0] == kind], RUN_SECONDS)
    values = [t[1] for t in timings]
    row("all answering", values, RUN_SECONDS)
    reference_rps = {}
    for label, run in references.items():
        reference_values = [t[1] for t in run["timings"] if t[2] <= run["window_end"]]
        reference_rps[label] = len(reference_values) / REFERENCE_SECONDS
        row(label, reference_values, REFERENCE_SECONDS)

    bare = reference_rps["reference (bare)"]
    print(f"\n  completed responses/s            {rps:7.1f}   (goal >= 60; {completed} in {RUN_SECONDS:.0f} s, "
          f"{len(answering['failures'])} failed)")
    print(f"  p50 / p95 page time              {ms(percentile(values, 50))} / {ms(percentile(values, 95)).strip()} ms"
          f" (goal: p95 < 150)")
    print(f"  reference req/s (same driver)    {bare:7.0f}   ratio {bare / rps:6.1f} (goal <= 50)")
    if wrk_rps:
        print(f"  reference req/s (wrk)            {wrk_rps:7.0f}   ratio {wrk_rps / rps:6.1f}")
    in_app = reference_rps["reference (in app)"]
    print(f"  the same view inside ePanel      {in_app:7.0f}   ratio {in_app / rps:6.1f}")
    # CPU covers every response finished (those under way at the end too) and every reference request.
    print("  CPU per unit of work (the whole machine's busy share in brackets):")
    per_unit = {}
    for label, used in cpu.items():
        count = len(answering["completed"]) if label == "answering" else len(references[label]["timings"])
        per_unit[label] = (used["gunicorn"] + used["postgres"]) / count
        print(f"    {label:<18} gunicorn {used['gunicorn'] / count * 1000:7.2f} ms"
              + (f" + PostgreSQL {used['postgres'] / count * 1000:5.2f} ms" if backend == "postgres" else "")
              + f", driver {used['driver'] / count * 1000:5.2f} ms   "
                f"(machine {used['machine'] / used['machine_total'] * 100:3.0f} % busy)")
    print(f"  server CPU of one response = {per_unit['answering'] / per_unit['reference (bare)']:.0f} bare reference "
          f"requests = {per_unit['answering'] / per_unit['reference (in app)']:.0f} in-app reference requests")
    return {"responses_per_second": rps, "p95_ms": percentile(values, 95) * 1000, "reference_per_second": bare}


# --- the benchmark -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_answering_a_20_question_survey_through_the_web_pages(backend, fresh_database, tmp_path, record_figure):
    database_url = fresh_database(backend)
    spare = IN_PROCESS_RESPONSES + 1
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        REFERENCE_TABLE.create(db.engine)
        consultation, pages = build_survey(SECTIONS)
        slug = consultation.slug
        tokens = invite_members(consultation, RESPONDENTS + spare)
        db.session.remove()
    in_process = measure_in_process(app, tokens[:IN_PROCESS_RESPONSES], slug, pages)
    render = time_page_render(app, tokens[IN_PROCESS_RESPONSES], slug)
    with app.app_context():
        db.engine.dispose()
    machine = machine_description(backend, database_url)

    queued = queue.SimpleQueue()
    for token in tokens[spare:]:
        queued.put(token)
    with Server(tmp_path, database_url) as server:
        warmup = run_respondents(server.port, queued, slug, pages, WARMUP_SECONDS, seed=1)
        run_reference(server.port, "/bare/reference", 1.0)  # warm the bare app's pool
        meter, cpu, references = CpuMeter(server, backend), {}, {}
        meter.start()
        answering = run_respondents(server.port, queued, slug, pages, RUN_SECONDS, seed=2)
        cpu["answering"] = meter.stop()
        for label, path in (("reference (bare)", "/bare/reference"), ("reference (in app)", "/bench/reference")):
            meter.start()
            references[label] = run_reference(server.port, path, REFERENCE_SECONDS)
            cpu[label] = meter.stop()
        wrk_rps = run_wrk(server.port, tmp_path, REFERENCE_SECONDS)
        errors = server.errors_logged()

    failures = warmup["failures"] + answering["failures"]
    for failure, count in Counter(failures).most_common(5):
        print(f"  FAILED {count} x: {failure}")
    for line in errors[:5]:
        print("  server log:", line)
    assert answering["completed"], "no respondent completed"
    figures = report(backend, machine, in_process, render, answering, references, wrk_rps, cpu)
    rps, bare = figures["responses_per_second"], figures["reference_per_second"]
    record_figure("completed responses through the web pages", backend, rps, "/s", reference=bare,
                  reference_unit="/s (bare reference)", goal=">= 60/s", met=rps >= 60)
    record_figure("answering page time, p95", backend, figures["p95_ms"], "ms", goal="< 150 ms",
                  met=figures["p95_ms"] < 150)
    record_figure("reference requests per completed response", backend, bare / rps if rps else None, "",
                  goal="<= 50", met=bool(rps) and bare / rps <= 50)
    assert not failures, f"{len(failures)} respondents failed"
    for label, run in references.items():
        assert not run["failures"], f"{len(run['failures'])} {label} requests failed"
    assert len(set(answering["references"])) == len(answering["references"])
