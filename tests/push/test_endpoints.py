"""Which endpoints a browser may subscribe with: only the push services in the allow list, over https."""

import pytest

from backend.endpoints import (
    DEFAULT_PUSH_HOSTS,
    ENDPOINT_INVALID,
    ENDPOINT_NOT_ALLOWED,
    ENDPOINT_NOT_HTTPS,
    endpoint_allowed,
    parse_allowed_hosts,
)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/dF3x-Ea0Rk4:APA91bHcU0mPk7X3",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABnQ3-hQ0s",
        "https://web.push.apple.com/QGuQyavXutnMH7I3vAw0pCWUdLJk",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAADnA3q%2bXr",
        "https://db5.notify.windows.com/w/?token=AwYAAAB",
        "https://FCM.googleapis.com/fcm/send/x",  # host names are case-insensitive
        "https://fcm.googleapis.com:443/fcm/send/x",
    ],
)
def test_the_public_browser_push_services_are_allowed_by_default(endpoint: str) -> None:
    assert endpoint_allowed(endpoint, DEFAULT_PUSH_HOSTS) is None


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com.evil.com/fcm/send/x",
        "https://evilfcm.googleapis.com/fcm/send/x",
        "https://googleapis.com/fcm/send/x",
        "https://notify.windows.com/w/",  # the wildcard needs a label in front
        "https://a.b.notify.windows.com/w/",  # and exactly one
        "https://x.notify.windows.com.evil.com/w/",
        "https://notify.windows.com.evil.com/w/",
        "https://evil.com/fcm.googleapis.com/",
        "https://evil.com/?fcm.googleapis.com",
        "https://evil.com#@fcm.googleapis.com",
        "https://127.0.0.1/push/x",  # loopback, but not named
        "https://169.254.169.254/latest/meta-data/",
    ],
)
def test_hosts_not_in_the_list_are_refused_whatever_they_resemble(endpoint: str) -> None:
    assert endpoint_allowed(endpoint, DEFAULT_PUSH_HOSTS) == ENDPOINT_NOT_ALLOWED


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com@evil.com/",  # goes to evil.com
        "https://user:secret@fcm.googleapis.com/fcm/send/x",
        "https://evil.com\\@fcm.googleapis.com/",  # a browser reads \ as /, Python as part of the host
        "https://fcm.googleapis.com /x",
        "https://fcm.googleapis.com/\nx",
        "https://fcm.googleapis.com:99999/x",
        "https://fcm.googleapis.com:port/x",
        "https://[::1/x",
        "/fcm/send/x",
        "fcm.googleapis.com/fcm/send/x",
        "//fcm.googleapis.com/fcm/send/x",
        "ftp://fcm.googleapis.com/x",
        "javascript:alert(1)",
        "https:///x",
        "",
        "https://fcm.googleapis.com/" + "x" * 2100,
        "https://fcm.googleapis.com/fcm/send/é",
    ],
)
def test_anything_but_a_plain_absolute_url_is_invalid(endpoint: str) -> None:
    assert endpoint_allowed(endpoint, DEFAULT_PUSH_HOSTS) == ENDPOINT_INVALID


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("http://fcm.googleapis.com/fcm/send/x", DEFAULT_PUSH_HOSTS),
        ("http://push.example.com/x", ["push.example.com"]),
        ("http://10.0.0.5:8080/push/x", ["10.0.0.5:8080"]),
        ("http://192.168.1.1/push/x", ["192.168.1.1"]),
    ],
)
def test_plain_http_is_refused_for_hosts_that_are_not_loopback_even_when_listed(
    endpoint: str, allowed: list[str]
) -> None:
    assert endpoint_allowed(endpoint, allowed) == ENDPOINT_NOT_HTTPS


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("http://127.0.0.1:8080/push/x", ["127.0.0.1:8080"]),
        ("http://127.0.0.2/push/x", ["127.0.0.2"]),
        ("http://localhost:9000/push/x", ["localhost"]),
        ("http://LOCALHOST:9000/push/x", ["localhost:9000"]),
        ("http://[::1]:8080/push/x", ["[::1]:8080"]),
        ("http://[::1]:8080/push/x", ["[::1]"]),
    ],
)
def test_plain_http_is_allowed_to_a_loopback_host_named_in_the_list(endpoint: str, allowed: list[str]) -> None:
    assert endpoint_allowed(endpoint, allowed) is None


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("http://127.0.0.1:8080/push/x", DEFAULT_PUSH_HOSTS),
        ("http://127.0.0.1:8080/push/x", ["127.0.0.1:8081"]),
        ("http://127.0.0.1:8080/push/x", ["localhost:8080"]),  # names are not resolved
        ("http://localhost:8080/push/x", ["127.0.0.1"]),
    ],
)
def test_loopback_hosts_not_named_in_the_list_are_refused(endpoint: str, allowed: list[str]) -> None:
    assert endpoint_allowed(endpoint, allowed) == ENDPOINT_NOT_ALLOWED


def test_an_entry_with_a_port_allows_only_that_port() -> None:
    allowed = ["push.example.com:8443"]

    assert endpoint_allowed("https://push.example.com:8443/x", allowed) is None
    assert endpoint_allowed("https://push.example.com/x", allowed) == ENDPOINT_NOT_ALLOWED
    assert endpoint_allowed("https://push.example.com:9443/x", allowed) == ENDPOINT_NOT_ALLOWED


def test_an_entry_without_a_port_allows_any_port() -> None:
    assert endpoint_allowed("https://push.example.com:8443/x", ["push.example.com"]) is None


def test_an_entry_naming_the_default_port_allows_urls_that_leave_it_out() -> None:
    assert endpoint_allowed("https://push.example.com/x", ["push.example.com:443"]) is None


def test_malformed_entries_allow_nothing() -> None:
    allowed = ["https://fcm.googleapis.com", "fcm.googleapis.com/", "*", "*.com.*"]

    assert endpoint_allowed("https://fcm.googleapis.com/fcm/send/x", allowed) == ENDPOINT_NOT_ALLOWED


def test_the_setting_is_read_as_comma_separated_entries() -> None:
    entries = parse_allowed_hosts(" fcm.googleapis.com, 127.0.0.1:8080 ,,[::1]:9000,*.Notify.Windows.com ")

    assert entries == ("fcm.googleapis.com", "127.0.0.1:8080", "[::1]:9000", "*.notify.windows.com")
    assert parse_allowed_hosts(",".join(DEFAULT_PUSH_HOSTS)) == DEFAULT_PUSH_HOSTS


@pytest.mark.parametrize(
    "value",
    ["https://fcm.googleapis.com", "fcm.googleapis.com/send", "*", "*.*.example.com", "a.*.com", "x.com:p"],
)
def test_malformed_setting_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ValueError, match="FIELDGOAL_PUSH_ALLOWED_HOSTS"):
        parse_allowed_hosts(value)
