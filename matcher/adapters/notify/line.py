"""A narrow, typed wrapper over the official LINE Messaging API SDK (``line-bot-sdk`` v3,
``linebot.v3.messaging``), which ships without type information: one push of one text message,
answered by an HTTP status and body.

The SDK is imported on the first push, not with this module: it takes seconds to import, and a
service without LINE configured never needs it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineAnswer:
    """What LINE answered: the HTTP status and the body (empty on success)."""

    status: int
    body: str = ""

    @property
    def accepted(self) -> bool:
        """2xx, or 409: a retry key LINE accepted before (the message went the first time)."""
        return 200 <= self.status < 300 or self.status == 409


def push_text(
    endpoint: str, token: str, to: str, text: str, *, retry_key: str, timeout: float
) -> LineAnswer:
    """``POST {endpoint}/v2/bot/message/push`` of one text message to ``to``, with the channel
    access token as a bearer token and ``X-Line-Retry-Key``; LINE's refusal is an answer, no
    answer at all (the connection failed) raises."""
    from linebot.v3.messaging import (
        ApiClient,
        Configuration,
        MessagingApi,
        PushMessageRequest,
        TextMessage,
    )
    from linebot.v3.messaging.exceptions import ApiException

    configuration = Configuration(host=endpoint, access_token=token)
    request = PushMessageRequest(to=to, messages=[TextMessage(text=text)])
    with ApiClient(configuration) as client:
        try:  # the answer's body is not parsed: a success is its status
            answer = MessagingApi(client).push_message_with_http_info(
                request,
                x_line_retry_key=retry_key,
                _preload_content=False,
                _request_timeout=timeout,
            )
        except ApiException as err:
            return LineAnswer(int(err.status or 0), str(err.body or ""))
    status: int = int(answer.status_code)
    return LineAnswer(status)
