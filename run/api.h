/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_API_H
#define VMM_RUN_API_H

#include <stdbool.h>
#include <stddef.h>

#include "run/lifecycle.h"
#include "util/http.h"

struct json_object;
struct vm;

/*
 * The control API's endpoints (README "Control API"): an HTTP request in,
 * a status and a JSON body out. What they do to the VM goes through these
 * operations, so the dispatch is tested against a fake VM; run/api_vm.c
 * implements them on a real one. All run on the run loop's thread.
 */
struct api_vm_ops {
	enum vm_state (*state)(void *ctx, struct vm *vm);
	/* 0, or -ETIMEDOUT: a vcpu did not stop in time and the VM runs on. */
	int (*pause)(void *ctx, struct vm *vm);
	void (*resume)(void *ctx, struct vm *vm);
	void (*stop)(void *ctx, struct vm *vm);
	/* 0, or a one-line reason why not (the reboot would end vmm). */
	const char *(*reboot)(void *ctx, struct vm *vm);
	/*
	 * Press the power button: 0, or a one-line reason why not. *@timeout_s:
	 * how long the guest has to power off before vmm stops it.
	 */
	const char *(*shutdown)(void *ctx, struct vm *vm, unsigned int *timeout_s);
	/* Fill @obj: GET /vm and GET /vm/counters. */
	void (*describe)(void *ctx, struct vm *vm, struct json_object *obj);
	void (*counters)(void *ctx, struct vm *vm, struct json_object *obj);
};

struct api_response {
	int status;
	const char *allow;	/* with 405: the methods the path takes */
	char *body;		/* malloc'ed JSON, or NULL */
	size_t body_len;
	bool linger;		/* keep the connection open until vmm exits */
};

/* Answer one parsed request; the caller frees @resp->body. */
void api_handle(const struct http_request *req, const struct api_vm_ops *ops, void *ctx,
		struct vm *vm, struct api_response *resp);
/* A JSON error body for a request that could not be parsed (@status >= 400). */
void api_error(struct api_response *resp, int status, const char *msg);
const char *api_state_name(enum vm_state state);

#endif
