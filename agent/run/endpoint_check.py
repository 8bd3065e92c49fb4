"""Does the configured LLM endpoint answer? One quick `models.list()` call, for the sidebar to say so when the
endpoint, key or model is set (a run would otherwise be the first to find out, and fall back)."""

from __future__ import annotations

from dataclasses import dataclass

import openai

from agent.run.llm import LLMConfig

CHECK_TIMEOUT = 5.0  # seconds: a check the user waits for, not a run's call


@dataclass(frozen=True)
class EndpointCheck:
    answers: bool
    message: str  # "answers: 3 models (fake-model listed)" or the specific error, never the key


def check_endpoint(config: LLMConfig, timeout: float = CHECK_TIMEOUT) -> EndpointCheck:
    """List the endpoint's models once, with no retries: the answer says whether it answers and whether it lists
    the configured model."""
    client = openai.OpenAI(api_key=config.api_key or "not-needed", base_url=config.base_url or None,
                           timeout=timeout, max_retries=0)
    try:
        models = [model.id for model in client.models.list()]
    except openai.AuthenticationError:
        return EndpointCheck(False, "the endpoint refused the API key (401): check the key")
    except openai.APIStatusError as exc:
        return EndpointCheck(False, config.scrub(f"the endpoint answered HTTP {exc.status_code}: {exc.message}"))
    except openai.APITimeoutError:
        return EndpointCheck(False, f"no answer within {timeout:.0f} s: is the server running at this address?")
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        return EndpointCheck(False, config.scrub(f"cannot connect ({type(cause).__name__}: {cause}): is the server "
                                                 "running at this address?"))
    except openai.APIError as exc:  # e.g. a reply that is not the models list
        return EndpointCheck(False, config.scrub(f"the endpoint's reply is not an OpenAI models list ({exc})"))
    finally:
        client.close()
    listed = ("lists " + config.model if config.model in models else
              f"does not list {config.model}; a run will ask for it anyway")
    return EndpointCheck(True, f"answers: {len(models)} model(s), {listed}")
