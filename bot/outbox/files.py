"""Sharing a file from a composer exactly once, through Slack's external upload flow.

`files.getUploadURLExternal` reserves a file id, the bytes go to the upload URL, `files.completeUploadExternal`
shares the file into the conversation (Slack shows it there a moment later). When the answer to the completion
is lost (a 5xx, a reset, a timeout after Slack acted), sending again would share a second copy, so the file id
is kept on the outbox row before the upload starts, and a retry first asks Slack (`files.info`) whether that
file was completed: if so it is done; if Slack never heard of it, the upload starts over with a new file."""

from __future__ import annotations

import urllib.error
import urllib.request

from slack_sdk.errors import SlackApiError

from bot.outbox.compose import CONNECTION_ERRORS, ComposeContext, ComposeLater

UPLOAD_KEY = "upload_file"
UPLOAD_TIMEOUT = 30.0


def share_file_once(ctx: ComposeContext, *, channel: str, data: bytes, filename: str, title: str,
                    alt_txt: str | None = None, initial_comment: str | None = None) -> str:
    """Share `data` into `channel` once per outbox row; returns the file id. A definite refusal raises
    SlackApiError (nothing was shared); an unconfirmed completion raises ComposeLater (the next attempt
    checks with Slack first)."""
    earlier = ctx.payload.get(UPLOAD_KEY)
    if earlier:
        try:
            ctx.client.files_info(file=earlier)
            return str(earlier)  # completed by an earlier attempt whose answer was lost
        except SlackApiError as err:
            if err.response is None or err.response.get("error") != "file_not_found":
                raise  # cannot tell yet: the sender tries again later
        ctx.remember(**{UPLOAD_KEY: None})
    reserved = ctx.client.files_getUploadURLExternal(filename=filename, length=len(data),
                                                     **({"alt_txt": alt_txt} if alt_txt else {}))
    file_id = str(reserved["file_id"])
    ctx.remember(**{UPLOAD_KEY: file_id})
    url = str(reserved["upload_url"])
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"unexpected upload URL scheme: {url[:16]}")
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - scheme checked above
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT):  # noqa: S310 - non-2xx raises HTTPError
        pass
    try:
        ctx.client.files_completeUploadExternal(
            files=[{"id": file_id, "title": title}], channel_id=channel,
            **({"initial_comment": initial_comment} if initial_comment else {}))
    except SlackApiError as err:
        if err.response is not None and err.response.status_code >= 500:
            raise ComposeLater(f"completing {file_id}: HTTP {err.response.status_code}, checked next time") from None
        raise
    except CONNECTION_ERRORS as err:
        raise ComposeLater(f"completing {file_id}: {type(err).__name__}, checked next time") from None
    return file_id
