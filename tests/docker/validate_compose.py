#!/usr/bin/env python3
"""The Docker set-up as the README gives it, checked without Docker (issue 14):

    python3 tests/docker/validate_compose.py --schema compose.schema.json

- `docker-compose.yml` against the Compose Specification's JSON schema (draft 7), as written:
  the schema takes a `${VAR}` wherever Compose interpolates one. `.ci/run` fetches the schema
  pinned by version and digest;
- the same schema refuses broken copies of the file (a key no Compose knows at the top, a
  service's `ports` given as a number), or the check above proves nothing;
- the README's Docker steps (its "Docker" section) set every variable the compose file
  requires (`${VAR:?…}`) before `docker compose up`, name only services the file has in
  `docker compose run`/`exec`, and keep any `.env` they write out of git and of the image's
  build context; the steps without those settings fail this check.

Needs jsonschema and PyYAML. Exits 1 saying what is wrong.
"""
import argparse
import copy
import json
import re
import shlex
import sys
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[2]

# `${VAR:?message}` and `${VAR?message}`: Compose refuses to start while VAR is unset (or, with
# the colon, empty). `$$` is a literal dollar sign.
REQUIRED_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")
# `docker compose run`/`exec` options that take a value (the service is the first other word).
VALUE_OPTIONS = {
    "-e", "--env", "-u", "--user", "-w", "--workdir", "--name", "--entrypoint", "-l", "--label",
    "-p", "--publish", "-v", "--volume", "--index", "--cap-add", "--cap-drop", "--env-from-file",
    "--pull",
}


def schema_errors(validator, document):
    """Every schema error, as `path: message`, most specific first."""
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        # A oneOf that failed every branch: its best branch's error says more.
        best = jsonschema.exceptions.best_match([error])
        path = ".".join(str(p) for p in best.absolute_path) or "(top level)"
        found.append(f"{path}: {best.message}")
    return found


def broken_copies(compose):
    """Copies of the compose file that every Compose implementation refuses."""
    unknown_key = copy.deepcopy(compose)
    unknown_key["servces"] = unknown_key.get("services", {})
    yield "a top-level key no Compose knows (`servces`)", unknown_key
    for name, service in compose.get("services", {}).items():
        if "ports" in service:
            ports_number = copy.deepcopy(compose)
            ports_number["services"][name]["ports"] = 8080
            yield f"`services.{name}.ports: 8080` (a number, not a list)", ports_number
            break
    else:
        no_image = copy.deepcopy(compose)
        first = next(iter(no_image["services"]))
        no_image["services"][first]["build"] = 8080
        yield f"`services.{first}.build: 8080` (a number)", no_image


def required_variables(compose_text):
    text = compose_text.replace("$$", "")
    return sorted(set(REQUIRED_VAR.findall(text)))


def docker_section(readme_text):
    """The shell lines of the README's Docker section: its ```sh blocks, comments left out."""
    lines = readme_text.splitlines()
    start = level = None
    for i, line in enumerate(lines):
        heading = re.match(r"^(#{2,6})\s+(.*)$", line)
        if heading is None:
            continue
        if start is None:
            if re.search(r"\bDocker\b", heading.group(2)):
                start, level = i + 1, len(heading.group(1))
        elif len(heading.group(1)) <= level:
            lines = lines[:i]
            break
    if start is None:
        return None
    shell, in_block = [], False
    for line in lines[start:]:
        if line.startswith("```"):
            in_block = not in_block and line.strip() in ("```sh", "```bash", "```shell", "```console")
            continue
        if in_block and line.strip() and not line.strip().startswith("#"):
            shell.append(line.strip())
    return shell


def ignore_lists(path):
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text().splitlines()}


def readme_problems(steps, required, services, gitignore, dockerignore):
    if steps is None:
        return ["README.md has no section whose heading names Docker"]
    if not steps:
        return ["README.md's Docker section has no ```sh steps"]
    problems = []
    up = next((i for i, line in enumerate(steps) if re.search(r"\bdocker[ -]compose\b.*\bup\b", line)), None)
    if up is None:
        return ["README.md's Docker steps never run `docker compose up`"]
    for var in required:
        if not any(re.search(rf"(^|[^A-Za-z0-9_]){var}=", line) for line in steps[:up]):
            problems.append(
                f"README.md's Docker steps do not set {var} before `docker compose up`, "
                f"and docker-compose.yml requires it (${{{var}:?…}}): Compose refuses to start")
    for line in steps:
        command = re.search(r"\bdocker[ -]compose\s+(run|exec)\s+(.*)", line)
        if command is None:
            continue
        words = shlex.split(command.group(2).split(")")[0])
        service, i = None, 0
        while i < len(words):
            if words[i] in VALUE_OPTIONS:
                i += 2
            elif words[i].startswith("-"):
                i += 1
            else:
                service = words[i]
                break
        if service not in services:
            problems.append(f"README.md's Docker steps name service {service!r} in `{line}`, "
                            f"which docker-compose.yml does not have ({', '.join(services)})")
    if any(re.search(r">>?\s*\.env\b", line) for line in steps):
        if not {".env", "/.env"} & gitignore:
            problems.append("README.md's Docker steps write .env (the secrets) and .gitignore does not ignore it")
        if ".env" not in dockerignore:
            problems.append("README.md's Docker steps write .env (the secrets) and .dockerignore lets it "
                            "into the build context (`COPY . .`)")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schema", required=True, type=Path,
                        help="the Compose Specification's JSON schema (compose-spec.json)")
    parser.add_argument("--compose", type=Path, default=REPO / "docker-compose.yml")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args()
    root = args.compose.resolve().parent

    schema = json.loads(args.schema.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    if schema.get("title") != "Compose Specification":
        sys.exit(f"{args.schema} is not the Compose Specification's schema (title {schema.get('title')!r})")

    compose_text = args.compose.read_text()
    compose = yaml.safe_load(compose_text)
    problems = [f"{args.compose.name}: {e}" for e in schema_errors(validator, compose)]
    if not problems:
        print(f"{args.compose.name}: valid against the Compose Specification's schema "
              f"({len(compose.get('services', {}))} services: {', '.join(compose.get('services', {}))})")
        # Broken copies of a valid file must be refused, or the check above proves nothing.
        for what, broken in broken_copies(compose):
            errors = schema_errors(validator, broken)
            if errors:
                print(f"a copy with {what}: refused ({errors[0]})")
            else:
                problems.append(f"the schema accepts a copy of {args.compose.name} with {what}: "
                                "the check proves nothing")

    required = required_variables(compose_text)
    services = list(compose.get("services", {}))
    gitignore, dockerignore = ignore_lists(root / ".gitignore"), ignore_lists(root / ".dockerignore")
    steps = docker_section(args.readme.read_text())
    found = readme_problems(steps, required, services, gitignore, dockerignore)
    problems += found
    if not found:
        print(f"{args.readme.name}'s Docker steps set {', '.join(required) or 'no variable'} "
              f"before `docker compose up`, as {args.compose.name} requires")
        # The steps without the lines that set them must fail, or the check above proves nothing.
        for var in required:
            pattern = rf"(^|[^A-Za-z0-9_]){var}="
            without = [line for line in steps if not re.search(pattern, line)]
            if not readme_problems(without, required, services, gitignore, dockerignore):
                problems.append(f"the README check passes steps that never set {var}: it proves nothing")
            else:
                print(f"the same steps without setting {var}: refused")

    if problems:
        sys.stdout.flush()
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        sys.exit(1)
    print("the compose file and the README's Docker steps are as they should be")


if __name__ == "__main__":
    main()
