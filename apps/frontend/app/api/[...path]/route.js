// Forwards /api/<path> to the backend at API_BASE_URL, read on every request so
// that a changed ConfigMap needs a restart, never a rebuild.

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const REQUEST_HEADERS = ["authorization", "content-type", "accept"];
const RESPONSE_HEADERS = ["content-type", "www-authenticate", "location", "retry-after"];
const TIMEOUT_MS = 30_000;

function backendBase() {
  const raw = (process.env.API_BASE_URL || "").trim();
  // Accept both http://backend:8000 and http://backend:8000/api.
  return raw.replace(/\/+$/, "").replace(/\/api$/, "");
}

async function forward(request, { params }) {
  const base = backendBase();
  if (!base) {
    return Response.json({ detail: "API_BASE_URL is not set on the frontend" }, { status: 503 });
  }
  const { path = [] } = await params;
  const search = new URL(request.url).search;
  const target = `${base}/api/${path.map(encodeURIComponent).join("/")}${search}`;

  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  const hasBody = !["GET", "HEAD"].includes(request.method);

  let upstream;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      cache: "no-store",
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const reason = err?.cause?.code || err?.name || "error";
    return Response.json(
      { detail: `backend unreachable at ${base} (${reason})` },
      { status: err?.name === "TimeoutError" ? 504 : 502 },
    );
  }
  const responseHeaders = new Headers({ "cache-control": "no-store" });
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) responseHeaders.set(name, value);
  }
  const body = [204, 304].includes(upstream.status) ? null : await upstream.arrayBuffer();
  return new Response(body, { status: upstream.status, headers: responseHeaders });
}

export { forward as DELETE, forward as GET, forward as PATCH, forward as POST, forward as PUT };
