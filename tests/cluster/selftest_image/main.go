// kubeproof-selftest: the workload of the cluster self-test
// (tests/cluster/test_00_cluster_selftest.py). Static, FROM scratch.
//
//	selftest                 serve HTTP on :8080 ("/" and "/healthz")
//	selftest get URL         GET URL, print the body, exit 1 on failure
//	selftest resolve NAME    print the addresses NAME resolves to
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "get" {
		os.Exit(get(os.Args[2]))
	}
	if len(os.Args) > 2 && os.Args[1] == "resolve" {
		addrs, err := net.DefaultResolver.LookupHost(context.Background(), os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "resolve:", err)
			os.Exit(1)
		}
		fmt.Println(addrs)
		return
	}
	serve()
}

func get(url string) int {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "get:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "get: status", resp.Status)
		return 1
	}
	return 0
}

func serve() {
	host, _ := os.Hostname()
	version := os.Getenv("VERSION")
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("request %s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "kubeproof-selftest version=%s host=%s\n", version, host)
	})
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	log.Printf("kubeproof-selftest version=%s listening on :8080", version)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
