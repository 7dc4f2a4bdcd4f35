import TodoApp from "./todo-app";

// Static shell: answers 200 without the backend, so `/` is a fair health path.
export default function Home() {
  return (
    <main>
      <h1>Todo chatbot</h1>
      <TodoApp />
    </main>
  );
}
