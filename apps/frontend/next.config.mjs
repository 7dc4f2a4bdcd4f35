/** @type {import('next').NextConfig} */
const nextConfig = {
  // A self-contained server (server.js + the node_modules it needs) for a small image.
  output: "standalone",
  poweredByHeader: false,
  // No ESLint in this app's dependencies; keep `next build` quiet about it.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
