import "./globals.css";

export const metadata = {
  title: "Todo chatbot",
  description: "Your tasks, and an assistant that manages them.",
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
