"""`python -m bot demo` plays a week against the stand-in Slack and prints the digests."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_demo_plays_a_week_and_prints_each_digest_leaving_only_its_charts(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": str(tmp_path)}
    env["SLACK_BOT_TOKEN"] = "xoxb-from-dotenv"  # a .env where it runs: the demo ignores it
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--charts", str(tmp_path / "charts")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]  # refusals on stdout
    assert "WARNING" not in result.stderr, result.stderr  # it logs warnings and above
    out = result.stdout
    assert "YOUR WEEK IN LEADERSHIP — 2026-W49" in out  # the manager's digest, as text
    assert "LEADERSHIP DIGEST — 2026-W49" in out
    assert "Participation:* 5 of 6 checked in; 1 away" in out  # Gia's Slack status: on holiday
    assert "leadbot → Gia Gomez" not in out
    assert "Your check-in for 2026-W49 is still open" in out  # a reminder went out
    assert "Cem skips this week" in out and "reflects on eu-launch" in out
    # Platform's own question, quoted under its lens
    assert "Manage work · Which customer did you hear from, and what did they say?" in out
    assert "“Lisbon Bakery: they won't pay by card without MB Way” — Ana Alves" in out
    # Ana reflects on Tuesday before her own invitation is due: none comes in that cycle
    assert "Ana Alves reflects on eu-launch" in out
    assert "leadbot → Ana Alves: Time for a short strategy reflection" not in out
    assert "Our planning meetings run long" in out  # the concern reached its digest
    assert "ends with a written decision" in out  # and its reply reached the writer
    assert "*Launch in the EU*: moved by 2 this week" in out  # execution, by team
    assert "Maria Manager* raised a blocker you shared" in out  # Ana is told
    assert "Cleo Chief* answered the blocker you raised from Platform" in out
    assert "The leadership group answered the blocker you shared" in out
    charts = sorted(path.name for path in (tmp_path / "charts").iterdir())
    assert charts == [
        "c0leaders-momentum.png",
        "c0leaders-participation-by-team.png",
        "maria-platform-energy.png",
        "maria-platform-participation.png",
    ]
    assert f"written to {tmp_path / 'charts' / 'maria-platform-energy.png'}" in out
    assert list(work.iterdir()) == [] and sorted(tmp_path.iterdir()) == [tmp_path / "charts", work]
