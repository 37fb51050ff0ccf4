#!/usr/bin/env python3
"""Writes wabulk's man page (troff, section 1) from the binary's own description of its commands
(`wabulk --experimental-dump-help`, swift-argument-parser's tool info): the same source as --help.
usage: scripts/manpage.py WABULK_BINARY > wabulk.1"""
import json, subprocess, sys, datetime

def esc(text):
    text = (text or "").replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        # A line starting with . or ' would be a troff request.
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)

def flag(arg):
    names = []
    for n in arg.get("names", []):
        names.append(("--" if n["kind"] == "long" else "-") + n["name"])
    if not names:
        return "<%s>" % arg.get("valueName", "value")
    out = ", ".join("\\fB%s\\fR" % esc(n) for n in names)
    if arg["kind"] == "option":
        out += " \\fI<%s>\\fR" % esc(arg.get("valueName", "value"))
    return out

def section(cmd, path, out):
    if not cmd.get("shouldDisplay", True):
        return
    name = " ".join(path)
    out.append(".SS %s" % esc(name))
    if cmd.get("abstract"):
        out.append(esc(cmd["abstract"]))
    if cmd.get("discussion"):
        out.append(".PP")
        out.append(esc(cmd["discussion"]))
    for arg in cmd.get("arguments", []):
        if not arg.get("shouldDisplay", True) or any(n["name"] in ("help", "version") for n in arg.get("names", [])):
            continue
        out.append(".TP")
        out.append(flag(arg))
        out.append(esc(arg.get("abstract", "")))
    for sub in cmd.get("subcommands", []):
        section(sub, path + [sub["commandName"]], out)

def main():
    binary = sys.argv[1]
    info = json.loads(subprocess.run([binary, "--experimental-dump-help"], capture_output=True, check=True, text=True).stdout)["command"]
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    out = ['.TH WABULK 1 "%s" "%s" "wabulk manual"' % (datetime.date.today().isoformat(), esc(version)),
           ".SH NAME", "wabulk \\- %s" % esc(info.get("abstract", "")),
           ".SH SYNOPSIS", "\\fBwabulk\\fR \\fIcommand\\fR [\\fIoptions\\fR]",
           ".SH DESCRIPTION", esc(info.get("discussion", "")),
           ".SH COMMANDS"]
    for sub in info.get("subcommands", []):
        section(sub, ["wabulk", sub["commandName"]], out)
    out += [".SH FILES",
            ".TP", "\\fIwabulk.json\\fR", "settings of the home folder (see \\fBwabulk config\\fR)",
            ".TP", "\\fIinbox/\\fR, \\fIoutbox/\\fR", "the folders shared with staff (outbox/README.txt is their guide)",
            ".TP", "\\fIvar/\\fR", "the operator's state: spool, event log, contacts, campaign records",
            ".SH SEE ALSO", "The README, docs/CONFIGURATION.md, docs/MANIFEST.md and docs/STAFF.md in wabulk's repository."]
    print("\n".join(out))

main()
