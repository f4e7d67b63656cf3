// SPDX-License-Identifier: GPL-2.0
/*
 * The control API's endpoints: route a request to what it asks of the VM,
 * answer in JSON. Every error is a status and {"error": "one line"}.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "run/api.h"
#include "util/types.h"

const char *api_state_name(enum vm_state state)
{
	static const char *const names[] = {
		[VM_STATE_CREATED] = "created", [VM_STATE_RUNNING] = "running",
		[VM_STATE_PAUSED] = "paused", [VM_STATE_STOPPING] = "stopping",
		[VM_STATE_STOPPED] = "stopped",
	};

	return (unsigned int)state < ARRAY_SIZE(names) ? names[state] : "unknown";
}

/* Takes @obj; an allocation failure becomes a bodiless 500. */
static void api_reply(struct api_response *resp, int status, struct json_object *obj)
{
	const char *s = obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN) : NULL;

	resp->status = status;
	resp->body = s ? strdup(s) : NULL;
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	if (!resp->body)
		resp->status = 500;
	json_object_put(obj);
}

void api_error(struct api_response *resp, int status, const char *msg)
{
	struct json_object *obj = json_object_new_object();

	memset(resp, 0, sizeof(*resp));
	if (obj)
		json_object_object_add(obj, "error", json_object_new_string(msg));
	api_reply(resp, status, obj);
	resp->status = status;
}

static void api_reply_state(struct api_response *resp, const char *state)
{
	struct json_object *obj = json_object_new_object();

	if (obj)
		json_object_object_add(obj, "state", json_object_new_string(state));
	api_reply(resp, 200, obj);
}

enum api_action {
	API_INFO, API_COUNTERS, API_PAUSE, API_RESUME, API_STOP, API_REBOOT, API_SHUTDOWN,
};

static const struct api_route {
	const char *path;
	const char *method;
	enum api_action action;
} api_routes[] = {
	{ "/vm", "GET", API_INFO },
	{ "/vm/counters", "GET", API_COUNTERS },
	{ "/vm/pause", "PUT", API_PAUSE },
	{ "/vm/resume", "PUT", API_RESUME },
	{ "/vm/stop", "PUT", API_STOP },
	{ "/vm/reboot", "PUT", API_REBOOT },
	{ "/vm/shutdown", "PUT", API_SHUTDOWN },
};

/* A body is optional; if there is one it must be a JSON object. */
static bool api_body_ok(const struct http_request *req)
{
	struct json_tokener *tok;
	struct json_object *obj;
	bool ok;

	if (!req->body_len)
		return true;
	tok = json_tokener_new();
	if (!tok)
		return false;
	obj = json_tokener_parse_ex(tok, req->body, req->body_len);
	ok = obj && json_object_is_type(obj, json_type_object) &&
	     json_tokener_get_error(tok) == json_tokener_success &&
	     json_tokener_get_parse_end(tok) == req->body_len;
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}

void api_handle(const struct http_request *req, const struct api_vm_ops *ops, void *ctx,
		struct vm *vm, struct api_response *resp)
{
	const struct api_route *route = NULL;
	struct json_object *obj;
	enum vm_state state;
	unsigned int timeout_s = 0;
	const char *why;

	memset(resp, 0, sizeof(*resp));
	for (size_t i = 0; i < ARRAY_SIZE(api_routes); i++) {
		if (strcmp(req->path, api_routes[i].path))
			continue;
		route = &api_routes[i];
		if (strcmp(req->method, route->method)) {
			api_error(resp, 405, "method not allowed on this path");
			resp->allow = route->method;
			return;
		}
		break;
	}
	if (!route) {
		api_error(resp, 404, "no such endpoint");
		return;
	}
	if (!api_body_ok(req)) {
		api_error(resp, 400, "the body must be empty or a JSON object");
		return;
	}
	state = ops->state(ctx, vm);
	switch (route->action) {
	case API_INFO:
	case API_COUNTERS:
		obj = json_object_new_object();
		if (obj)
			(route->action == API_INFO ? ops->describe : ops->counters)(ctx, vm, obj);
		api_reply(resp, 200, obj);
		return;
	case API_PAUSE:
		if (state != VM_STATE_RUNNING) {
			api_error(resp, 409, state == VM_STATE_PAUSED ? "the VM is already paused" :
				  "the VM is not running");
			return;
		}
		if (ops->pause(ctx, vm) < 0) {
			api_error(resp, 500, "a vcpu did not stop within 2 s (held in a device, such as"
				  " a disk that does not answer); the VM runs on");
			return;
		}
		api_reply_state(resp, api_state_name(ops->state(ctx, vm)));
		return;
	case API_RESUME:
		if (state != VM_STATE_PAUSED) {
			api_error(resp, 409, "the VM is not paused");
			return;
		}
		ops->resume(ctx, vm);
		api_reply_state(resp, api_state_name(ops->state(ctx, vm)));
		return;
	case API_STOP:
		if (state == VM_STATE_STOPPING || state == VM_STATE_STOPPED) {
			api_error(resp, 409, "the VM is already stopping");
			return;
		}
		ops->stop(ctx, vm);
		api_reply_state(resp, "stopping");
		/* The client learns that vmm is gone when the connection closes. */
		resp->linger = true;
		return;
	case API_REBOOT:
		if (state != VM_STATE_RUNNING && state != VM_STATE_PAUSED) {
			api_error(resp, 409, "the VM is not running");
			return;
		}
		why = ops->reboot(ctx, vm);
		if (why) {
			api_error(resp, 409, why);
			return;
		}
		api_reply_state(resp, "rebooting");
		return;
	case API_SHUTDOWN:
		if (state != VM_STATE_RUNNING) {
			api_error(resp, 409, state == VM_STATE_PAUSED ?
				  "the VM is paused: a paused guest cannot shut down (resume it first)" :
				  "the VM is not running");
			return;
		}
		why = ops->shutdown(ctx, vm, &timeout_s);
		if (why) {
			api_error(resp, 409, why);
			return;
		}
		obj = json_object_new_object();
		if (obj) {
			json_object_object_add(obj, "state", json_object_new_string("shutting-down"));
			json_object_object_add(obj, "timeout_s", json_object_new_int64(timeout_s));
		}
		api_reply(resp, 202, obj);
		/* As with stop: the connection closes when vmm has exited. */
		resp->linger = true;
		return;
	}
}
