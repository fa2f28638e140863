// Command kfake-broker runs franz-go's kfake, an in-memory broker that speaks the Kafka wire
// protocol (consumer groups included), for the Kafka drain tests: there is no Kafka package for
// Debian and no Java registry on the machines the tests run on. It listens on 127.0.0.1 only,
// prints "listening <host:port>" once it accepts connections, and stops on SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: a free one)")
	partitions := flag.Int("partitions", 3, "partitions of a topic created on first use")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("kfake-broker (franz-go kfake)")
		return
	}
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.DefaultNumPartitions(*partitions),
		kfake.AllowAutoTopicCreation(),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake-broker:", err)
		os.Exit(1)
	}
	fmt.Println("listening", cluster.ListenAddrs()[0])
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	cluster.Close()
}
